#include <torch/torch.h>

#include "components/generation/sampling.h"

#include <algorithm>
#include <limits>

namespace higgs::generation {

at::Tensor process_logits(const at::Tensor& logits, const SamplingOptions& o) {
  const double inf = std::numeric_limits<double>::infinity();
  auto scores = logits.to(torch::kFloat32);
  if (o.temperature > 0 && o.temperature != 1.0) scores = scores / o.temperature;
  const int64_t vocab = scores.size(-1);
  if (o.top_k > 0 && o.top_k < vocab) {
    auto kth = std::get<0>(scores.topk(o.top_k, -1)).narrow(-1, o.top_k - 1, 1);
    scores = scores.masked_fill(scores < kth, -inf);
  }
  if (o.top_p < 1.0) {
    auto [sorted, idx] = scores.sort(-1, /*descending=*/false);
    auto cum = sorted.softmax(-1).cumsum(-1);
    auto remove = cum <= (1.0 - o.top_p);
    remove.narrow(-1, vocab - 1, 1).fill_(false);  // keep at least one
    scores = scores.masked_fill(remove.scatter(-1, idx, remove), -inf);
  }
  return scores;
}

Sampler::Sampler(SamplingOptions o, uint64_t seed)
    : o_(o), gen_(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor Sampler::draw(const at::Tensor& scores) {
  if (o_.temperature <= 0) return scores.argmax(-1);
  auto probs = scores.softmax(-1).reshape({-1, scores.size(-1)});
  return torch::multinomial(probs, 1, false, gen_).view(scores.sizes().slice(0, scores.dim() - 1));
}

int64_t Sampler::sample_text(const at::Tensor& logits) {
  auto l = logits.detach().to(torch::kCPU).to(torch::kFloat32).reshape({-1});
  return draw(process_logits(l, o_)).item<int64_t>();
}

std::vector<int64_t> Sampler::sample_audio(const at::Tensor& logits, const at::Tensor& recent) {
  auto raw = logits.detach().to(torch::kCPU).to(torch::kFloat32);
  auto ids = draw(process_logits(raw, o_)).contiguous();
  if (o_.ras_window > 0 && recent.defined() && recent.numel() > 0) {
    auto win = recent.to(torch::kCPU);
    win = win.narrow(1, std::max<int64_t>(0, win.size(1) - o_.ras_window),
                     std::min<int64_t>(win.size(1), o_.ras_window));
    auto repeats = win.eq(ids.unsqueeze(1)).sum(1);
    auto rows = repeats.ge(o_.ras_max_repeat).nonzero().view({-1});
    if (rows.numel() > 0) {
      auto redraw = raw.index_select(0, rows).softmax(-1);
      auto fresh = torch::multinomial(redraw, 1, true, gen_).view({-1});
      ids.index_copy_(0, rows, fresh);
    }
  }
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

}  // namespace higgs::generation
