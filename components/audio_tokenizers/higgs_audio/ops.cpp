#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/ops.h"

#include <algorithm>

namespace higgs::higgs_audio {

int64_t conv_out_length(int64_t length, int64_t kernel, int64_t stride, int64_t padding,
                        int64_t dilation) {
  int64_t span = length + 2 * padding - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  return span / stride + 1;
}

at::Tensor mask_time(const at::Tensor& x, const Lengths& lengths, int64_t time_dim) {
  if (lengths.empty()) return x;
  const int64_t t = x.size(time_dim);
  if (std::all_of(lengths.begin(), lengths.end(), [t](int64_t l) { return l >= t; })) return x;
  at::Tensor len = torch::tensor(lengths, torch::kLong).to(x.device());
  at::Tensor keep =
      torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(x.device())).unsqueeze(0) <
      len.unsqueeze(1);  // (B, T)
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  shape[time_dim < 0 ? x.dim() + time_dim : time_dim] = t;
  return x.masked_fill(keep.view(shape).logical_not(), 0);
}

}  // namespace higgs::higgs_audio
