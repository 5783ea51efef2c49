#include <torch/torch.h>

#include "components/adapters/adaptable_linear.h"

#include <cmath>
#include <stdexcept>

namespace higgs {

AdaptableLinearImpl::AdaptableLinearImpl(int64_t in_features, int64_t out_features, bool bias)
    : AdaptableLinearImpl(torch::nn::LinearOptions(in_features, out_features).bias(bias)) {}

AdaptableLinearImpl::AdaptableLinearImpl(const torch::nn::LinearOptions& opts) : options(opts) {
  weight =
      register_parameter("weight", torch::empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", torch::empty(options.out_features()));
  reset_parameters();
}

void AdaptableLinearImpl::reset_parameters() {
  // The same initialisation as torch::nn::LinearImpl::reset_parameters.
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto fan_in = std::get<0>(torch::nn::init::_calculate_fan_in_and_fan_out(weight));
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

at::Tensor AdaptableLinearImpl::forward(const at::Tensor& x) {
  at::Tensor y = torch::nn::functional::linear(x, weight, bias);
  if (adapter_ && adapter_->enabled()) y = y + adapter_->delta(x);
  return y;
}

void AdaptableLinearImpl::train(bool on) {
  torch::nn::Module::train(on);
  if (adapter_) adapter_->train(on);
}

void AdaptableLinearImpl::pretty_print(std::ostream& stream) const {
  stream << "higgs::AdaptableLinear(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", bias=" << options.bias()
         << (adapter_ ? ", adapter" : "") << ")";
}

void AdaptableLinearImpl::attach_adapter(std::shared_ptr<LinearAdapter> adapter) {
  if (!adapter) throw std::invalid_argument("AdaptableLinear::attach_adapter: null adapter");
  if (adapter_)
    throw std::logic_error(
        "AdaptableLinear: an adapter is already attached to this layer; attach one adapter per "
        "layer (check that two adapters in the recipe do not target the same module)");
  for (const auto& child : adapter->named_children())
    if (named_children().contains(child.key()) || named_parameters(false).contains(child.key()))
      throw std::logic_error("AdaptableLinear: adapter child \"" + child.key() +
                             "\" clashes with a name of the layer");
  for (const auto& p : adapter->named_parameters(/*recurse=*/false))
    if (named_parameters(false).contains(p.key()) || named_children().contains(p.key()))
      throw std::logic_error("AdaptableLinear: adapter parameter \"" + p.key() +
                             "\" clashes with a name of the layer");
  for (const auto& child : adapter->named_children()) {
    register_module(child.key(), child.value());
    adapter_children_.insert(child.key());
  }
  for (const auto& p : adapter->named_parameters(/*recurse=*/false)) {
    register_parameter(p.key(), p.value(), p.value().requires_grad());
    adapter_params_.insert(p.key());
  }
  adapter->train(is_training());
  adapter_ = std::move(adapter);
}

void AdaptableLinearImpl::detach_adapter() {
  for (const auto& name : adapter_children_) unregister_module(name);
  for (const auto& name : adapter_params_) parameters_.erase(name);
  adapter_children_.clear();
  adapter_params_.clear();
  adapter_.reset();
}

std::set<std::string> adapter_parameter_names(torch::nn::Module& root) {
  std::set<std::string> out;
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    auto* layer = dynamic_cast<AdaptableLinearImpl*>(item.value().get());
    if (!layer || !layer->adapter()) continue;
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : layer->adapter()->named_parameters(/*recurse=*/true))
      out.insert(prefix + p.key());
  }
  return out;
}

}  // namespace higgs
