// LibTorch version differences in one place: the code builds against Debian's LibTorch 1.13 (CPU)
// and against CUDA LibTorch 2.x. Include only from .cpp files that already use ATen ops.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>

namespace higgs::compat {

/// softmax(q kᵀ / sqrt(d) + mask) v for q (B,H,Lq,D), k/v (B,H,Lk,D) and an additive mask
/// broadcastable to (B,H,Lq,Lk) (undefined = no mask). 2.x uses the fused public entry point;
/// 1.13 has only a private one, so it is written out (same maths; softmax in fp32 like HF eager).
inline at::Tensor scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k,
                                               const at::Tensor& v, const at::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, mask, 0.0, false);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * scale;
  if (mask.defined()) scores = scores + mask;
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs, v);
#endif
}

}  // namespace higgs::compat
