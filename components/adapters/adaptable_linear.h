// AdaptableLinear: a drop-in torch::nn::Linear with one slot for an adapter (LoRA) whose output
// is added to the layer's. Models build every linear layer as AdaptableLinear so that adapters
// can be attached by name without rebuilding the module tree.
//
//   higgs::AdaptableLinear q_proj{nullptr};
//   q_proj = register_module("q_proj", higgs::AdaptableLinear(3072, 3072));  // bias=false
//   y = q_proj->forward(x);  q_proj->weight;  q_proj->bias (undefined without bias)
#pragma once

#include <memory>
#include <set>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/options/linear.h>
#include <torch/nn/pimpl.h>

namespace higgs {

/// A term added to a linear layer's output, e.g. LoRA's scale * B(A(dropout(x))).
///
/// Its child modules and direct parameters are registered on the AdaptableLinear it is attached
/// to, so their names sit directly under the layer: "...q_proj.lora_A.weight" (PEFT's names).
class LinearAdapter : public torch::nn::Module {
 public:
  /// The term for input x; it must have x's dtype (an adapter kept in fp32 while the layer runs
  /// in bf16 computes in its own dtype and casts the result back).
  virtual at::Tensor delta(const at::Tensor& x) = 0;
  /// A disabled adapter adds nothing (used while it is merged into the base weight).
  bool enabled() const { return enabled_; }
  void set_enabled(bool on) { enabled_ = on; }

 private:
  bool enabled_ = true;
};

/// y = x W^T + b, plus the attached adapter's delta(x). Same parameters, names and
/// initialisation as torch::nn::Linear ("weight" [out, in], optional "bias" [out]).
class AdaptableLinearImpl : public torch::nn::Module {
 public:
  AdaptableLinearImpl(int64_t in_features, int64_t out_features, bool bias = false);
  explicit AdaptableLinearImpl(const torch::nn::LinearOptions& options);

  at::Tensor forward(const at::Tensor& x);
  /// Re-initialises weight and bias exactly like torch::nn::Linear.
  void reset_parameters();
  /// Keeps the attached adapter's train/eval mode in step with the layer's.
  void train(bool on = true) override;
  void pretty_print(std::ostream& stream) const override;

  int64_t in_features() const { return options.in_features(); }
  int64_t out_features() const { return options.out_features(); }

  /// Attaches `adapter` (at most one); its children and parameters become this layer's.
  void attach_adapter(std::shared_ptr<LinearAdapter> adapter);
  /// Removes the adapter and its registered children and parameters.
  void detach_adapter();
  const std::shared_ptr<LinearAdapter>& adapter() const { return adapter_; }

  torch::nn::LinearOptions options;
  at::Tensor weight;
  at::Tensor bias;  // undefined when the layer has no bias

 private:
  std::shared_ptr<LinearAdapter> adapter_;
  std::set<std::string> adapter_children_, adapter_params_;
};

TORCH_MODULE(AdaptableLinear);

/// Full names of the parameters that belong to attached adapters anywhere under `root`
/// ("layers.0.self_attn.q_proj.lora_A.weight"), so freezing policies can leave them alone.
std::set<std::string> adapter_parameter_names(torch::nn::Module& root);

}  // namespace higgs
