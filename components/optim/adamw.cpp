#include <torch/torch.h>

#include "components/optim/adamw.h"

#include <cmath>
#include <stdexcept>

#include "framework/registry/registry.h"

namespace higgs {

namespace {

void check_options(const AdamW::Options& o) {
  if (o.betas.size() != 2)
    throw std::invalid_argument("optimizer.betas: expected two numbers [beta1, beta2], got " +
                                std::to_string(o.betas.size()));
  for (double b : o.betas)
    if (!(b >= 0.0 && b < 1.0))
      throw std::invalid_argument("optimizer.betas: each beta must be in [0, 1), got " +
                                  std::to_string(b));
}

// Reads one moment tensor of `name` from a saved state, checking its shape.
at::Tensor saved_tensor(const TensorMap& state, const std::string& key, const at::Tensor& param) {
  auto it = state.find(key);
  if (it == state.end() || !it->second.defined())
    throw std::runtime_error("optimizer \"adamw\": the saved state lacks \"" + key +
                             "\"; the checkpoint is incomplete");
  if (it->second.sizes() != param.sizes())
    throw std::runtime_error("optimizer \"adamw\": saved \"" + key + "\" has shape " +
                             c10::str(it->second.sizes()) + " but the parameter has shape " +
                             c10::str(param.sizes()) + "; the model changed since it was saved");
  return it->second.to(param.device(), at::kFloat, /*non_blocking=*/false, /*copy=*/true)
      .contiguous();
}

}  // namespace

void AdamW::bind(Binder& b, Options& o) {
  b.opt("lr", o.lr, "Peak learning rate; the scheduler scales it each step.").min(0.0);
  b.opt("betas", o.betas, "Decay rates [beta1, beta2] of the first and second moments.");
  b.opt("eps", o.eps, "Added to the denominator for numerical stability.").min(0.0);
  b.opt("weight_decay", o.weight_decay,
        "Decoupled weight decay (p *= 1 - lr * weight_decay) for the decay group.")
      .min(0.0);
  b.opt("no_decay_patterns", o.no_decay_patterns,
        "Globs over full parameter names that get no weight decay (* matches dots too).");
  b.opt("lr_multipliers", o.lr_multipliers,
        "{glob: factor}: matching parameters train with lr * factor (first match wins).");
}

AdamW::AdamW(const Options& options, const ParameterList& params) : options_(options) {
  check_not_empty(params, "adamw");
  check_options(options_);
  groups_ = make_decay_groups(params, options_.weight_decay, options_.no_decay_patterns,
                              parse_lr_multipliers(options_.lr_multipliers, "adamw"));
}

void AdamW::step(double lr_scale) {
  at::NoGradGuard no_grad;
  const double beta1 = options_.betas[0], beta2 = options_.betas[1], eps = options_.eps;
  for (const auto& group : groups_) {
    const double lr = options_.lr * group.lr_multiplier * lr_scale;
    const double wd = group.weight_decay;
    for (const auto& np : group.params) {
      const at::Tensor& param = np.tensor;
      at::Tensor grad = param.grad();
      if (!grad.defined()) continue;  // not used this step: no update, as in PyTorch
      if (grad.is_sparse())
        throw std::runtime_error("optimizer \"adamw\": parameter \"" + np.name +
                                 "\" has a sparse gradient, which AdamW does not support");
      // Non-fp32 parameters are updated through an fp32 copy so the moments stay fp32.
      const bool fp32 = param.scalar_type() == at::kFloat;
      at::Tensor p = fp32 ? param : param.to(at::kFloat);
      if (!fp32) grad = grad.to(at::kFloat);

      Moments& m = moments_[np.name];
      if (!m.exp_avg.defined()) {
        m.exp_avg = at::zeros_like(p, at::MemoryFormat::Preserve);
        m.exp_avg_sq = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
      m.step += 1;
      // The same sequence of operations as torch.optim.adam._single_tensor_adam (torch 2.x: the
      // first moment by lerp_, which rounds differently from mul_ + add_).
      p.mul_(1 - lr * wd);
      m.exp_avg.lerp_(grad, 1 - beta1);
      m.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      const double step = static_cast<double>(m.step);
      const double bias_correction1 = 1 - std::pow(beta1, step);
      const double bias_correction2 = 1 - std::pow(beta2, step);
      const double step_size = lr / bias_correction1;
      const double bias_correction2_sqrt = std::sqrt(bias_correction2);
      at::Tensor denom = (m.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
      p.addcdiv_(m.exp_avg, denom, -step_size);
      if (!fp32) param.copy_(p);
    }
  }
}

void AdamW::zero_grad() {
  for (const auto& group : groups_)
    for (const auto& np : group.params) {
      auto param = np.tensor;  // shares the TensorImpl
      if (param.grad().defined()) param.mutable_grad() = at::Tensor();
    }
}

TensorMap AdamW::state() const {
  TensorMap out;
  for (const auto& [name, m] : moments_) {
    if (!m.exp_avg.defined()) continue;
    out[name + ".exp_avg"] = m.exp_avg;
    out[name + ".exp_avg_sq"] = m.exp_avg_sq;
    out[name + ".step"] = at::scalar_tensor(m.step, at::kLong);
  }
  return out;
}

void AdamW::load_state(const TensorMap& state) {
  check_state_names(state, groups_, {".exp_avg", ".exp_avg_sq", ".step"}, "adamw");
  std::map<std::string, Moments> loaded;
  for (const auto& group : groups_)
    for (const auto& np : group.params) {
      auto step_it = state.find(np.name + ".step");
      if (step_it == state.end()) continue;  // never stepped before the save
      Moments m;
      m.step = step_it->second.item<int64_t>();
      m.exp_avg = saved_tensor(state, np.name + ".exp_avg", np.tensor);
      m.exp_avg_sq = saved_tensor(state, np.name + ".exp_avg_sq", np.tensor);
      loaded[np.name] = std::move(m);
    }
  moments_ = std::move(loaded);
}

HIGGS_REGISTER(
    higgs::Optimizer, higgs::AdamW, "adamw",
    "AdamW (decoupled weight decay) with no-decay groups for norms, biases, embeddings.");

}  // namespace higgs
