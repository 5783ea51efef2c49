// Strict reading of the tokenizer's tensors by their released names: every expected tensor is
// taken once; missing, unexpected and wrongly shaped tensors are reported together.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::higgs_audio {

/// Tensors by released name (as in model.pth).
using TensorMap = std::map<std::string, at::Tensor>;
/// Expected names and shapes, in the order the model asks for them.
using WeightSpec = std::vector<std::pair<std::string, std::vector<int64_t>>>;

/// How a weight-normalised conv names its two halves in a checkpoint.
enum class WeightNormNames {
  kGV,               // `weight_g` / `weight_v` (torch.nn.utils.weight_norm; DAC convs)
  kParametrizations  // `parametrizations.weight.original0/1` (newer torch; HuBERT pos conv)
};

class WeightReader {
 public:
  /// Reads from `weights`, converting to `options` (dtype, device). With `weights` null it only
  /// records the spec and hands out uninitialised tensors (used by weight_spec()).
  WeightReader(const TensorMap* weights, at::TensorOptions options);

  /// The tensor `name` of exactly `shape`.
  at::Tensor take(const std::string& name, const std::vector<int64_t>& shape);
  /// The effective weight of a weight-normalised layer: g * v / ||v||, the norm taken over every
  /// dim but `dim`. Accepts `prefix.weight_g/_v`, `prefix.parametrizations.weight.original0/1`
  /// or an already folded `prefix.weight`; `names` is the form recorded in the spec.
  at::Tensor take_weight_norm(const std::string& prefix, const std::vector<int64_t>& shape,
                              int64_t dim, WeightNormNames names);
  /// Marks a tensor as expected but unused at inference (training-only heads, EMA buffers).
  void skip(const std::string& name, const std::vector<int64_t>& shape);

  /// Throws std::runtime_error listing every missing, unexpected and mismatched tensor.
  void finish(const std::string& source) const;

  /// Dtype and device of the tensors taken from now on.
  void set_options(at::TensorOptions options) { options_ = options; }
  const WeightSpec& spec() const { return spec_; }
  bool spec_only() const { return weights_ == nullptr; }

 private:
  const at::Tensor* find(const std::string& name, const std::vector<int64_t>& shape);
  const TensorMap* weights_;
  at::TensorOptions options_;
  WeightSpec spec_;
  std::set<std::string> used_;
  std::vector<std::string> missing_, mismatched_;
};

}  // namespace higgs::higgs_audio
