#include <torch/torch.h>

#include "components/adapters/lora_linear.h"

#include <cmath>

namespace higgs {

LoraLinear::LoraLinear(int64_t in_features, int64_t out_features, int64_t r, double scale,
                       double dropout, LoraInit init, at::ScalarType dtype)
    : r_(r), scale_(scale), dropout_(dropout) {
  lora_A = register_module("lora_A",
                           torch::nn::Linear(torch::nn::LinearOptions(in_features, r).bias(false)));
  lora_B = register_module(
      "lora_B", torch::nn::Linear(torch::nn::LinearOptions(r, out_features).bias(false)));
  lora_dropout = register_module("lora_dropout", torch::nn::Dropout(dropout));
  torch::NoGradGuard no_grad;
  lora_A->to(dtype);
  lora_B->to(dtype);
  if (init == LoraInit::kGaussian)
    torch::nn::init::normal_(lora_A->weight, 0.0, 1.0 / static_cast<double>(r));
  else
    torch::nn::init::kaiming_uniform_(lora_A->weight, std::sqrt(5.0));
  torch::nn::init::zeros_(lora_B->weight);
}

at::Tensor LoraLinear::delta(const at::Tensor& x) {
  // The base layer may run in bf16 while A and B stay fp32 (their updates would be lost to bf16
  // rounding): compute in the LoRA dtype and hand back x's dtype so the sum keeps the base dtype.
  at::Tensor h = x.to(lora_A->weight.scalar_type());
  if (dropout_ > 0.0) h = lora_dropout->forward(h);
  at::Tensor out = lora_B->forward(lora_A->forward(h)) * scale_;
  return out.to(x.scalar_type());
}

at::Tensor LoraLinear::delta_weight() const {
  return torch::matmul(lora_B->weight.detach().to(at::kFloat),
                       lora_A->weight.detach().to(at::kFloat)) *
         scale_;
}

}  // namespace higgs
