// Optimizer `adamw`: AdamW with decoupled weight decay, the same arithmetic as PyTorch's
// torch.optim.AdamW (single-tensor path, amsgrad=False, maximize=False), so results match it
// bit for bit. State is fp32 whatever the parameter dtype.
//
//   optimizer: {type: "adamw", lr: 1e-4, betas: [0.9, 0.999], weight_decay: 0.01,
//               lr_multipliers: {"*lora_B*": 16.0},
//               no_decay_patterns: ["bias", "*.bias", "*norm*", "*embed*"]}
#pragma once

#include <map>
#include <string>
#include <vector>

#include "components/optim/param_groups.h"
#include "framework/config/options.h"
#include "framework/train/optimizer.h"

namespace higgs {

/// AdamW over the trainer's trainable parameters, with decay/no-decay parameter groups.
class AdamW : public Optimizer {
 public:
  struct Options {
    double lr = 1e-4;
    std::vector<double> betas = {0.9, 0.999};
    double eps = 1e-8;
    double weight_decay = 0.01;
    std::vector<std::string> no_decay_patterns = default_no_decay_patterns();
    Json lr_multipliers = Json::object();
  };
  static void bind(Binder& b, Options& o);

  /// Updates `params` (the trainable parameters; none is an error).
  AdamW(const Options& options, const ParameterList& params);

  void step(double lr_scale) override;
  void zero_grad() override;
  double base_lr() const override { return options_.lr; }
  /// "<param>.exp_avg", "<param>.exp_avg_sq" (fp32) and "<param>.step" (int64 scalar) for each
  /// parameter that has been stepped. The moments are the live tensors, not copies.
  TensorMap state() const override;
  void load_state(const TensorMap& state) override;

  const std::vector<ParamGroup>& groups() const { return groups_; }

 private:
  struct Moments {
    int64_t step = 0;
    at::Tensor exp_avg, exp_avg_sq;
  };
  Options options_;
  std::vector<ParamGroup> groups_;
  std::map<std::string, Moments> moments_;
};

}  // namespace higgs
