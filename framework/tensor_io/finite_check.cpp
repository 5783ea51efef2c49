#include "framework/tensor_io/finite_check.h"

#include <stdexcept>

#include <ATen/ATen.h>

namespace higgs::tensor_io {

std::optional<std::string> non_finite_summary(const at::Tensor& t) {
  if (!t.defined() || !at::isFloatingType(t.scalar_type()) || t.numel() == 0) return std::nullopt;
  if (at::isfinite(t).all().item<bool>()) return std::nullopt;  // the common case: one pass
  const int64_t nan = at::isnan(t).sum().item<int64_t>();
  const int64_t inf = at::isinf(t).sum().item<int64_t>();
  std::string out;
  if (nan) out += std::to_string(nan) + " NaN";
  if (inf) out += std::string(nan ? " and " : "") + std::to_string(inf) + " infinite";
  return out + " of " + std::to_string(t.numel()) + " values";
}

void NonFiniteTensors::check(const std::string& name, const at::Tensor& t) {
  if (auto what = non_finite_summary(t)) bad_.push_back(name + " (" + *what + ")");
}

void NonFiniteTensors::throw_if_any() const {
  if (bad_.empty()) return;
  std::string msg =
      source_ + ": " + std::to_string(bad_.size()) + " tensor(s) hold NaN or infinite values:";
  for (size_t i = 0; i < bad_.size() && i < 10; ++i) msg += "\n  " + bad_[i];
  if (bad_.size() > 10) msg += "\n  ... and " + std::to_string(bad_.size() - 10) + " more";
  msg +=
      "\nthe file is damaged or was saved from a run that diverged: use an earlier checkpoint "
      "(or the original model weights)";
  throw std::runtime_error(msg);
}

}  // namespace higgs::tensor_io
