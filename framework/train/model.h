// Kind `model`: the trained network and its loss, expressed as loss terms so the trainer can
// normalise by the number of targets over a whole accumulation window (and across ranks).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/train/run_settings.h"
#include "framework/train/types.h"

namespace torch::nn {
class Module;
}

namespace higgs {

/// One term of the loss: `sum` of per-target losses over `count` targets. The trainer's loss is
/// sum over terms of weight * sum / (count over the window); metrics report sum / count.
struct LossTerm {
  std::string name;   // "text", "audio_cb0", ...
  std::string group;  // terms of a group are reported together ("text", "audio")
  at::Tensor sum;     // differentiable scalar
  int64_t count = 0;  // number of targets (label cells not ignored)
  double weight = 1.0;
  int64_t correct = -1;  // argmax hits, or -1 when not measured
};

class Model {
 public:
  static constexpr const char* kKind = "model";
  /// A model is placed and seeded by the run: its device (a plain "cuda" is cuda:LOCAL_RANK)
  /// and its random initialisation come from the recipe's settings.
  using Args = RunSettings;
  virtual ~Model() = default;
  /// The module holding every parameter (named as in the checkpoint layout).
  virtual torch::nn::Module& module() = 0;
  /// Forward pass and loss terms for a batch.
  virtual std::vector<LossTerm> loss_terms(const Batch& batch) = 0;
  /// Number of targets of each term, from the labels alone (no forward pass).
  virtual std::map<std::string, int64_t> target_counts(const Batch& batch) const = 0;
  /// Writes the full weights and config in the model's native checkpoint layout.
  virtual void save(const std::string& dir) const = 0;
  /// The model's config as JSON (written next to checkpoints).
  virtual Json config() const = 0;
};

}  // namespace higgs
