// LibTorch version differences in one place: the code builds against Debian's LibTorch 1.13 (CPU)
// and against CUDA LibTorch 2.x. Include only from .cpp files that already use ATen ops.
#pragma once

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
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

/// bf16 autocast on `device` (CPU or CUDA) while the guard lives; `enabled` false does nothing.
/// The previous state and dtype come back when it ends, by an exception too, and the cast cache
/// is cleared when autocast was off before (as torch.autocast's exit does).
class Bf16Autocast {
 public:
  Bf16Autocast(at::DeviceType device, bool enabled) : device_(device), on_(enabled) {
    if (!on_) return;
    was_enabled_ = is_enabled(device_);
    was_dtype_ = dtype(device_);
    set(device_, true, at::kBFloat16);
  }
  ~Bf16Autocast() {
    if (!on_) return;
    set(device_, was_enabled_, was_dtype_);
    if (!was_enabled_) at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  static bool is_enabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
  static at::ScalarType dtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
  static void set(at::DeviceType d, bool on, at::ScalarType t) {
    at::autocast::set_autocast_enabled(d, on);
    at::autocast::set_autocast_dtype(d, t);
  }
#else
  static bool is_enabled(at::DeviceType d) {
    return d == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
  }
  static at::ScalarType dtype(at::DeviceType d) {
    return d == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
  }
  static void set(at::DeviceType d, bool on, at::ScalarType t) {
    if (d == at::kCUDA) {
      at::autocast::set_enabled(on);
      at::autocast::set_autocast_gpu_dtype(t);
    } else {
      at::autocast::set_cpu_enabled(on);
      at::autocast::set_autocast_cpu_dtype(t);
    }
  }
#endif
  at::DeviceType device_;
  bool on_;
  bool was_enabled_ = false;
  at::ScalarType was_dtype_ = at::kFloat;
};

}  // namespace higgs::compat
