// Optimizer `sgd`: stochastic gradient descent with momentum, dampening, Nesterov and L2 weight
// decay, the same arithmetic as PyTorch's torch.optim.SGD (single-tensor path, maximize=False).
//
//   optimizer: {type: "sgd", lr: 1e-2, momentum: 0.9, nesterov: true, weight_decay: 0.0}
#pragma once

#include <map>
#include <string>
#include <vector>

#include "components/optim/param_groups.h"
#include "framework/config/options.h"
#include "framework/train/optimizer.h"

namespace higgs {

/// SGD over the trainer's trainable parameters, with decay/no-decay parameter groups.
class Sgd : public Optimizer {
 public:
  struct Options {
    double lr = 1e-2;
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    double weight_decay = 0.0;
    std::vector<std::string> no_decay_patterns = default_no_decay_patterns();
    Json lr_multipliers = Json::object();
  };
  static void bind(Binder& b, Options& o);

  /// Updates `params` (the trainable parameters; none is an error).
  Sgd(const Options& options, const ParameterList& params);

  void step(double lr_scale) override;
  void zero_grad() override;
  double base_lr() const override { return options_.lr; }
  /// "<param>.momentum_buffer" (fp32, the live tensor) for each parameter that has one.
  TensorMap state() const override;
  void load_state(const TensorMap& state) override;

  const std::vector<ParamGroup>& groups() const { return groups_; }

 private:
  Options options_;
  std::vector<ParamGroup> groups_;
  std::map<std::string, at::Tensor> momentum_buffers_;
};

}  // namespace higgs
