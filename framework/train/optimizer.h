// Kind `optimizer`: updates the trainable parameters from their gradients.
#pragma once

#include <string>
#include <vector>

#include "framework/train/types.h"

namespace higgs {

/// A trainable parameter with its full name ("layers.0.self_attn.q_proj.lora_A.weight").
struct NamedParameter {
  std::string name;
  at::Tensor tensor;
};

/// The parameters an optimizer updates.
using ParameterList = std::vector<NamedParameter>;

class Optimizer {
 public:
  static constexpr const char* kKind = "optimizer";
  /// An optimizer is built over the parameters it updates: those that require gradients once
  /// adapters are attached and freezing applied (framework/train/trainable.h).
  using Args = ParameterList;
  virtual ~Optimizer() = default;
  /// One update from the current gradients, with every group's lr = base lr * lr_scale.
  virtual void step(double lr_scale) = 0;
  virtual void zero_grad() = 0;
  /// Base learning rate of the first group (for logging).
  virtual double base_lr() const = 0;
  /// Optimizer state for checkpoints (step counts, moments), keyed by stable names.
  virtual TensorMap state() const = 0;
  virtual void load_state(const TensorMap& state) = 0;
};

}  // namespace higgs
