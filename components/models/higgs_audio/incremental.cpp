// Incremental (KV-cached) decoding of the higgs_audio network. The training forward in model.cpp
// and layers.cpp is untouched; these functions repeat its maths for new positions only, reading
// keys and values of earlier positions from a KVCache. Batch of one unpadded sequence.
#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

#include "components/models/higgs_audio/model.h"

namespace higgs::higgs_audio {

torch::Tensor LlamaAttentionImpl::forward_cached(const torch::Tensor& x, const torch::Tensor& cos,
                                                 const torch::Tensor& sin,
                                                 const torch::Tensor& mask, torch::Tensor& cache_k,
                                                 torch::Tensor& cache_v) {
  const int64_t bsz = x.size(0), len = x.size(1);
  auto [q, k, v] = project(x, cos, sin);
  cache_k = cache_k.defined() ? torch::cat({cache_k, k}, 2) : k;
  cache_v = cache_v.defined() ? torch::cat({cache_v, v}, 2) : v;
  auto out = attention(q, repeat_kv(cache_k, num_heads), repeat_kv(cache_v, num_heads), mask);
  return o_proj(out.transpose(1, 2).reshape({bsz, len, num_heads * head_dim}));
}

torch::Tensor DecoderLayerImpl::forward_cached(const torch::Tensor& x, const LayerInputs& in,
                                               torch::Tensor& cache_k, torch::Tensor& cache_v) {
  if (kind == LayerKind::kPlain || (kind == LayerKind::kDualFFN && !in.has_audio)) {
    auto x1 = x + self_attn->forward_cached(input_layernorm(x), in.cos, in.sin, in.attn_mask,
                                            cache_k, cache_v);
    return x1 + mlp(post_attention_layernorm(x1));
  }
  if (kind == LayerKind::kFastForward) {
    auto x1 = x + self_attn->forward_cached(input_layernorm(x), in.cos, in.sin, in.ff_attn_mask,
                                            cache_k, cache_v);
    auto out = x1 + mlp(post_attention_layernorm(x1));
    return in.has_audio ? torch::where(in.audio_mask.unsqueeze(-1), x, out) : out;
  }
  auto h = torch::where(in.audio_mask.unsqueeze(-1), audio_input_layernorm(x), input_layernorm(x));
  auto x1 = x + self_attn->forward_cached(h, in.cos, in.sin, in.attn_mask, cache_k, cache_v);
  auto flat = x1.reshape({-1, x1.size(-1)});
  auto delta = torch::zeros_like(flat);
  if (in.text_idx.numel() > 0)
    delta.index_copy_(0, in.text_idx,
                      mlp(post_attention_layernorm(flat.index_select(0, in.text_idx))));
  delta.index_copy_(0, in.audio_idx,
                    audio_mlp(audio_post_attention_layernorm(flat.index_select(0, in.audio_idx))));
  return x1 + delta.view_as(x1);
}

torch::Tensor HiggsAudioModelImpl::forward_cached(const torch::Tensor& embeds,
                                                  const torch::Tensor& audio_mask, KVCache& cache) {
  if (embeds.dim() != 3 || embeds.size(0) != 1)
    throw std::invalid_argument("forward_cached: embeds must be (1, L, hidden), got " +
                                c10::str(embeds.sizes()));
  const auto dev = embed_tokens->weight.device();
  const auto dtype = embed_tokens->weight.scalar_type();
  const int64_t len = embeds.size(1), past = cache.length, total = past + len;
  if (cache.keys.empty()) {
    cache.keys.assign(layer_list.size(), torch::Tensor());
    cache.values.assign(layer_list.size(), torch::Tensor());
  }
  auto amask = audio_mask.to(dev).to(torch::kBool).view({1, len});
  cache.audio_keys = cache.audio_keys.defined() ? torch::cat({cache.audio_keys, amask}, 1) : amask;

  LayerInputs in;
  auto positions =
      torch::arange(past, total, torch::dtype(torch::kInt64).device(dev)).view({1, len});
  std::tie(in.cos, in.sin) = rope_cos_sin(inv_freq_, positions, dtype);
  const double lowest = mask_lowest(dtype);
  if (len > 1) {  // causal among the new positions; all cached keys are visible
    auto allowed = torch::ones({len, total}, torch::dtype(torch::kBool).device(dev)).tril(past);
    in.attn_mask = torch::zeros({1, 1, len, total}, torch::dtype(dtype).device(dev))
                       .masked_fill(allowed.logical_not(), lowest);
  }
  in.audio_mask = amask;
  in.has_audio = amask.any().item<bool>();
  in.ff_attn_mask = in.attn_mask;
  if (in.has_audio) {
    auto flat = amask.reshape({-1});
    in.audio_idx = flat.nonzero().view({-1});
    in.text_idx = flat.logical_not().nonzero().view({-1});
  }
  const bool any_ff = std::any_of(layer_list.begin(), layer_list.end(), [](const DecoderLayer& l) {
    return l->kind == LayerKind::kFastForward;
  });
  if (any_ff && cache.audio_keys.any().item<bool>()) {
    // Fast-forward layers: text queries never see audio keys (audio rows are discarded).
    auto base = in.attn_mask.defined()
                    ? in.attn_mask
                    : torch::zeros({1, 1, len, total}, torch::dtype(dtype).device(dev));
    in.ff_attn_mask = base.masked_fill(
        amask.view({1, 1, len, 1}).logical_or(cache.audio_keys.view({1, 1, 1, total})), lowest);
  }

  auto x = embeds.to(dev, dtype);
  for (size_t i = 0; i < layer_list.size(); ++i)
    x = layer_list[i]->forward_cached(x, in, cache.keys[i], cache.values[i]);
  cache.length = total;
  return norm(x);
}

torch::Tensor HiggsAudioModelImpl::text_logits(const torch::Tensor& hidden) {
  return audio_decoder_proj->text_lm_head(hidden);
}

torch::Tensor HiggsAudioModelImpl::audio_logits(const torch::Tensor& hidden) {
  auto shape = hidden.sizes().vec();
  shape.pop_back();
  shape.push_back(cfg_.audio_num_codebooks);
  shape.push_back(cfg_.codebook_rows());
  return audio_decoder_proj->audio_lm_head(hidden).view(shape).to(torch::kFloat32);
}

}  // namespace higgs::higgs_audio
