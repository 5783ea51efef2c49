#include <torch/torch.h>

#include "components/chatml/delay_pattern.h"

#include <stdexcept>
#include <string>

namespace higgs {

DelayPattern build_delay_pattern_mask(const at::Tensor& input_ids, int64_t bos_token_id,
                                      int64_t pad_token_id) {
  if (input_ids.dim() != 3)
    throw std::invalid_argument("build_delay_pattern_mask: expected (B, K, T) codes, got " +
                                std::to_string(input_ids.dim()) + " dimensions");
  const int64_t B = input_ids.size(0), K = input_ids.size(1), T = input_ids.size(2);
  const int64_t len = T + K - 1;
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(input_ids.device());
  at::Tensor gen = torch::full({B, K, std::max<int64_t>(len, 0)}, -1, opts);
  at::Tensor src = input_ids.to(torch::kLong);
  for (int64_t k = 0; k < K; ++k) {
    if (k > 0) gen.select(1, k).narrow(1, 0, k).fill_(bos_token_id);
    if (T > 0) gen.select(1, k).narrow(1, k, T).copy_(src.select(1, k));
  }
  at::Tensor ids = gen.clone();
  for (int64_t k = 0; k + 1 < K; ++k)
    ids.select(1, k).narrow(1, k + T, K - 1 - k).fill_(pad_token_id);
  return {ids, gen};
}

at::Tensor revert_delay_pattern(const at::Tensor& data) {
  if (data.dim() != 2)
    throw std::invalid_argument("revert_delay_pattern: expected (K, T+K-1), got " +
                                std::to_string(data.dim()) + " dimensions");
  const int64_t K = data.size(0), T = data.size(1) - K + 1;
  if (T < 0)
    throw std::invalid_argument("revert_delay_pattern: " + std::to_string(data.size(1)) +
                                " columns is fewer than K-1 = " + std::to_string(K - 1));
  std::vector<at::Tensor> rows;
  rows.reserve(K);
  for (int64_t k = 0; k < K; ++k) rows.push_back(data.narrow(0, k, 1).narrow(1, k, T));
  return torch::cat(rows, 0);
}

}  // namespace higgs
