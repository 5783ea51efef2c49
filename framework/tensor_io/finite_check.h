// Loaded weights with NaN or infinite values train to NaN at step 1 (or generate noise) and are
// hard to trace back to the file; loading checks them and names the tensor.
#pragma once

#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

namespace higgs::tensor_io {

/// nullopt when `t` holds only finite values (or is not floating point), else what it holds
/// ("3 NaN and 1 infinite of 4096 values").
std::optional<std::string> non_finite_summary(const at::Tensor& t);

/// Accumulates the tensors of one load that are not finite; throw_if_any() then throws one
/// std::runtime_error naming `source`, each tensor (up to 10) and what to do.
class NonFiniteTensors {
 public:
  explicit NonFiniteTensors(std::string source) : source_(std::move(source)) {}
  void check(const std::string& name, const at::Tensor& t);
  void throw_if_any() const;

 private:
  std::string source_;
  std::vector<std::string> bad_;
};

}  // namespace higgs::tensor_io
