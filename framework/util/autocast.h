// Autocast as scoped guards on the device the parameters live on (CPU or CUDA). Include only from
// .cpp files that already use ATen ops.
#pragma once

#include <optional>

#include <ATen/autocast_mode.h>

namespace higgs {

/// Autocast on `device` set to exactly (`enabled`, `dtype`) while the guard lives; the previous
/// state and dtype come back when it ends, by an exception too, and the cast cache is cleared when
/// autocast was off before and on inside (as torch.autocast's exit does).
class AutocastScope {
 public:
  AutocastScope(at::DeviceType device, bool enabled, at::ScalarType dtype)
      : device_(device),
        was_enabled_(at::autocast::is_autocast_enabled(device)),
        was_dtype_(at::autocast::get_autocast_dtype(device)),
        enabled_(enabled) {
    at::autocast::set_autocast_enabled(device_, enabled);
    at::autocast::set_autocast_dtype(device_, dtype);
  }
  ~AutocastScope() {
    at::autocast::set_autocast_enabled(device_, was_enabled_);
    at::autocast::set_autocast_dtype(device_, was_dtype_);
    if (enabled_ && !was_enabled_) at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  at::DeviceType device_;
  bool was_enabled_;
  at::ScalarType was_dtype_;
  bool enabled_;
};

/// bf16 autocast on `device` while the guard lives; `enabled` false leaves the state alone.
class Bf16Autocast {
 public:
  Bf16Autocast(at::DeviceType device, bool enabled) {
    if (enabled) scope_.emplace(device, true, at::kBFloat16);
  }

 private:
  std::optional<AutocastScope> scope_;
};

/// The autocast state of one device, as a recomputation (gradient checkpointing) must re-enter it.
struct AutocastState {
  bool enabled = false;
  at::ScalarType dtype = at::kBFloat16;
  static AutocastState of(at::DeviceType device) {
    return {at::autocast::is_autocast_enabled(device), at::autocast::get_autocast_dtype(device)};
  }
};

}  // namespace higgs
