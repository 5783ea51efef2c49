// The LoRA term of one linear layer: scale * B(A(dropout(x))), with A [r, in] and B [out, r]
// registered as "lora_A" and "lora_B" (PEFT's names) and the dropout as "lora_dropout".
#pragma once

#include <string>

#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include "components/adapters/adaptable_linear.h"

namespace higgs {

/// How LoRA's A matrix starts (B always starts at zero, so the adapted model equals the base).
enum class LoraInit {
  kDefault,   // A ~ kaiming_uniform(a = sqrt(5)), as nn.Linear and PEFT's init_lora_weights=True
  kGaussian,  // A ~ normal(0, std = 1/r), as PEFT's init_lora_weights="gaussian"
};

class LoraLinear : public LinearAdapter {
 public:
  /// A and B are created in `dtype` (fp32 by default, whatever the base layer's dtype).
  LoraLinear(int64_t in_features, int64_t out_features, int64_t r, double scale, double dropout,
             LoraInit init, at::ScalarType dtype = at::kFloat);

  /// scale * B(A(dropout(x))), computed in the LoRA weights' dtype and returned in x's dtype.
  at::Tensor delta(const at::Tensor& x) override;
  /// scale * B @ A in fp32: the change merge() adds to the base weight.
  at::Tensor delta_weight() const;

  int64_t r() const { return r_; }
  double scale() const { return scale_; }

  torch::nn::Linear lora_A{nullptr}, lora_B{nullptr};
  torch::nn::Dropout lora_dropout{nullptr};

 private:
  int64_t r_;
  double scale_, dropout_;
};

}  // namespace higgs
