// Small helpers shared by the tokenizer's parts: output lengths of convolutions and masking of
// the padded tail of batched sequences.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::higgs_audio {

/// Valid lengths of the items of a padded batch, at one time resolution.
using Lengths = std::vector<int64_t>;

/// Output length of a Conv1d (floor((L + 2p - d(k-1) - 1) / s) + 1, at least 0).
int64_t conv_out_length(int64_t length, int64_t kernel, int64_t stride, int64_t padding,
                        int64_t dilation = 1);

/// Zeroes the positions t >= lengths[b] along `time_dim` of item b, so that a following padded
/// convolution sees the same zeros as on the item alone. Returns `x` itself when nothing is
/// padded (empty `lengths` or all lengths reach the end).
at::Tensor mask_time(const at::Tensor& x, const Lengths& lengths, int64_t time_dim);

/// Maps each length through `f`.
template <class F>
Lengths map_lengths(const Lengths& lengths, F f) {
  Lengths out;
  out.reserve(lengths.size());
  for (int64_t l : lengths) out.push_back(f(l));
  return out;
}

}  // namespace higgs::higgs_audio
