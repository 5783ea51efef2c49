// Kind `freezing`: which parameters of a model are trained.
#pragma once

#include "framework/train/model.h"

namespace higgs {

/// Sets requires_grad on the model's parameters. Policies apply in recipe order.
class Freezing {
 public:
  static constexpr const char* kKind = "freezing";
  virtual ~Freezing() = default;
  virtual void apply(Model& model) = 0;
};

}  // namespace higgs
