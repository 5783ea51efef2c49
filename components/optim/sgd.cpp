#include <torch/torch.h>

#include "components/optim/sgd.h"

#include <stdexcept>

#include "framework/registry/registry.h"

namespace higgs {

void Sgd::bind(Binder& b, Options& o) {
  b.opt("lr", o.lr, "Peak learning rate; the scheduler scales it each step.").min(0.0);
  b.opt("momentum", o.momentum, "Momentum factor (0 = plain SGD).").min(0.0);
  b.opt("dampening", o.dampening, "Dampening of the momentum: buf = m*buf + (1-dampening)*g.")
      .min(0.0)
      .max(1.0);
  b.opt("nesterov", o.nesterov, "Nesterov momentum (needs momentum > 0 and dampening 0).");
  b.opt("weight_decay", o.weight_decay, "L2 penalty added to the gradient for the decay group.")
      .min(0.0);
  b.opt("no_decay_patterns", o.no_decay_patterns,
        "Globs over full parameter names that get no weight decay (* matches dots too).");
  b.opt("lr_multipliers", o.lr_multipliers,
        "{glob: factor}: matching parameters train with lr * factor (first match wins).");
}

Sgd::Sgd(const Options& options, const ParameterList& params) : options_(options) {
  check_not_empty(params, "sgd");
  if (options_.nesterov && (options_.momentum <= 0 || options_.dampening != 0))
    throw std::invalid_argument(
        "optimizer \"sgd\": nesterov needs momentum > 0 and dampening 0 (got momentum " +
        std::to_string(options_.momentum) + ", dampening " + std::to_string(options_.dampening) +
        ")");
  groups_ = make_decay_groups(params, options_.weight_decay, options_.no_decay_patterns,
                              parse_lr_multipliers(options_.lr_multipliers, "sgd"));
}

void Sgd::step(double lr_scale) {
  at::NoGradGuard no_grad;
  const double momentum = options_.momentum, dampening = options_.dampening;
  for (const auto& group : groups_) {
    const double lr = options_.lr * group.lr_multiplier * lr_scale;
    const double wd = group.weight_decay;
    for (const auto& np : group.params) {
      const at::Tensor& param = np.tensor;
      at::Tensor d_p = param.grad();
      if (!d_p.defined()) continue;
      if (d_p.is_sparse())
        throw std::runtime_error("optimizer \"sgd\": parameter \"" + np.name +
                                 "\" has a sparse gradient, which is not supported");
      const bool fp32 = param.scalar_type() == at::kFloat;
      at::Tensor p = fp32 ? param : param.to(at::kFloat);
      if (!fp32) d_p = d_p.to(at::kFloat);
      // The same sequence of operations as torch.optim.sgd._single_tensor_sgd.
      if (wd != 0) d_p = d_p.add(p, wd);
      if (momentum != 0) {
        at::Tensor& buf = momentum_buffers_[np.name];
        if (!buf.defined()) {
          buf = d_p.clone().detach();
        } else {
          buf.mul_(momentum).add_(d_p, 1 - dampening);
        }
        d_p = options_.nesterov ? d_p.add(buf, momentum) : buf;
      }
      p.add_(d_p, -lr);
      if (!fp32) param.copy_(p);
    }
  }
}

void Sgd::zero_grad() {
  for (const auto& group : groups_)
    for (const auto& np : group.params) {
      auto param = np.tensor;
      if (param.grad().defined()) param.mutable_grad() = at::Tensor();
    }
}

TensorMap Sgd::state() const {
  TensorMap out;
  for (const auto& [name, buf] : momentum_buffers_)
    if (buf.defined()) out[name + ".momentum_buffer"] = buf;
  return out;
}

void Sgd::load_state(const TensorMap& state) {
  check_state_names(state, groups_, {".momentum_buffer"}, "sgd");
  std::map<std::string, at::Tensor> loaded;
  for (const auto& group : groups_)
    for (const auto& np : group.params) {
      auto it = state.find(np.name + ".momentum_buffer");
      if (it == state.end()) continue;
      if (it->second.sizes() != np.tensor.sizes())
        throw std::runtime_error("optimizer \"sgd\": saved \"" + it->first + "\" has shape " +
                                 c10::str(it->second.sizes()) + " but the parameter has shape " +
                                 c10::str(np.tensor.sizes()) +
                                 "; the model changed since it was saved");
      loaded[np.name] =
          it->second.to(np.tensor.device(), at::kFloat, false, /*copy=*/true).contiguous();
    }
  momentum_buffers_ = std::move(loaded);
}

HIGGS_REGISTER(higgs::Optimizer, higgs::Sgd, "sgd",
               "SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch semantics).");

}  // namespace higgs
