#include "components/models/higgs_audio/layers.h"

#include <cmath>
#include <limits>

namespace higgs::higgs_audio {

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto h = x.to(torch::kFloat32);
  auto var = h.pow(2).mean(-1, /*keepdim=*/true);
  h = h * torch::rsqrt(var + eps);
  return weight * h.to(x.scalar_type());
}

LinearLayer make_linear(int64_t in, int64_t out, bool bias) {
  return higgs::AdaptableLinear(in, out, bias);
}

LlamaMLPImpl::LlamaMLPImpl(const LlamaTextConfig& c) {
  gate_proj =
      register_module("gate_proj", make_linear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  up_proj = register_module("up_proj", make_linear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  down_proj =
      register_module("down_proj", make_linear(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

torch::Tensor LlamaMLPImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

torch::Tensor rope_inv_freq(const LlamaTextConfig& c) {
  const int64_t dim = c.resolved_head_dim();
  auto exponent =
      torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  auto inv_freq = 1.0 / torch::pow(c.rope_theta, exponent);
  if (!c.rope_scaling || c.rope_scaling->rope_type == "default") return inv_freq;
  // llama3: long wavelengths are divided by `factor`, short ones kept, the band between
  // interpolated (transformers _compute_llama3_parameters).
  const RopeScaling& s = *c.rope_scaling;
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = old_len / s.low_freq_factor;
  const double high_wavelen = old_len / s.high_freq_factor;
  auto wavelen = 2.0 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
  auto smooth = (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  auto medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
  return torch::where(medium, smoothed, scaled);
}

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq,
                                                     const torch::Tensor& position_ids,
                                                     torch::ScalarType dtype) {
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) *
               inv_freq.to(position_ids.device()).view({1, 1, -1});
  auto emb = torch::cat({freqs, freqs}, -1);
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

namespace {
torch::Tensor rotate_half(const torch::Tensor& x) {
  auto halves = x.chunk(2, -1);
  return torch::cat({-halves[1], halves[0]}, -1);
}
}  // namespace

double mask_lowest(torch::ScalarType dtype) {
  return dtype == torch::kBFloat16 ? -3.3895313892515355e38
         : dtype == torch::kHalf   ? -65504.0
                                   : std::numeric_limits<float>::lowest();
}

torch::Tensor repeat_kv(const torch::Tensor& t, int64_t heads) {
  const int64_t kv = t.size(1);
  if (kv == heads) return t;
  return t.unsqueeze(2)
      .expand({t.size(0), kv, heads / kv, t.size(2), t.size(3)})
      .reshape({t.size(0), heads, t.size(2), t.size(3)});
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask) {
  // An undefined tensor inside the optional is not "no mask" to SDPA: pass nullopt for that.
  return at::scaled_dot_product_attention(
      q, k, v, mask.defined() ? std::optional<at::Tensor>(mask) : std::nullopt, 0.0, false);
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaTextConfig& c)
    : num_heads(c.num_attention_heads),
      num_kv_heads(c.num_key_value_heads),
      head_dim(c.resolved_head_dim()) {
  const bool b = c.attention_bias;
  q_proj = register_module("q_proj", make_linear(c.hidden_size, num_heads * head_dim, b));
  k_proj = register_module("k_proj", make_linear(c.hidden_size, num_kv_heads * head_dim, b));
  v_proj = register_module("v_proj", make_linear(c.hidden_size, num_kv_heads * head_dim, b));
  o_proj = register_module("o_proj", make_linear(num_heads * head_dim, c.hidden_size, b));
  if (c.qk_norm) {
    q_norm = register_module("q_norm", RMSNorm(head_dim, c.rms_norm_eps));
    k_norm = register_module("k_norm", RMSNorm(head_dim, c.rms_norm_eps));
  }
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> LlamaAttentionImpl::project(
    const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t bsz = x.size(0), len = x.size(1);
  auto q = q_proj(x).view({bsz, len, num_heads, head_dim});
  auto k = k_proj(x).view({bsz, len, num_kv_heads, head_dim});
  if (q_norm) {  // Qwen3: each head normalised over head_dim, before RoPE
    q = q_norm(q);
    k = k_norm(k);
  }
  q = q.transpose(1, 2);
  k = k.transpose(1, 2);
  auto v = v_proj(x).view({bsz, len, num_kv_heads, head_dim}).transpose(1, 2);
  auto c = cos.unsqueeze(1), s = sin.unsqueeze(1);
  q = q * c + rotate_half(q) * s;
  k = k * c + rotate_half(k) * s;
  return {q, k, v};
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                          const torch::Tensor& sin, const torch::Tensor& mask) {
  const int64_t bsz = x.size(0), len = x.size(1);
  auto [q, k, v] = project(x, cos, sin);
  auto out = attention(q, repeat_kv(k, num_heads), repeat_kv(v, num_heads), mask);
  return o_proj(out.transpose(1, 2).reshape({bsz, len, num_heads * head_dim}));
}

DecoderLayerImpl::DecoderLayerImpl(const LlamaTextConfig& c, LayerKind kind_) : kind(kind_) {
  self_attn = register_module("self_attn", LlamaAttention(c));
  mlp = register_module("mlp", LlamaMLP(c));
  if (kind == LayerKind::kDualFFN) audio_mlp = register_module("audio_mlp", LlamaMLP(c));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
  if (kind == LayerKind::kDualFFN) {
    audio_input_layernorm =
        register_module("audio_input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
    audio_post_attention_layernorm =
        register_module("audio_post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
  }
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const LayerInputs& in) {
  if (kind == LayerKind::kPlain ||
      (kind == LayerKind::kDualFFN && !in.has_audio && !torch::GradMode::is_enabled())) {
    // No audio position and no autograd: the reference's routing degenerates to the text path.
    // Under autograd the DualFFN path below runs on no audio rows, so that the audio norms and
    // audio_mlp get zero gradients, as in the reference (it always takes that path in training).
    auto x1 = x + self_attn(input_layernorm(x), in.cos, in.sin, in.attn_mask);
    return x1 + mlp(post_attention_layernorm(x1));
  }
  if (kind == LayerKind::kFastForward) {
    auto x1 = x + self_attn(input_layernorm(x), in.cos, in.sin, in.ff_attn_mask);
    auto out = x1 + mlp(post_attention_layernorm(x1));
    return in.has_audio ? torch::where(in.audio_mask.unsqueeze(-1), x, out) : out;
  }
  // DualFFN: per-position norms, shared attention, then each position through its own FFN.
  auto h = torch::where(in.audio_mask.unsqueeze(-1), audio_input_layernorm(x), input_layernorm(x));
  auto x1 = x + self_attn(h, in.cos, in.sin, in.attn_mask);
  auto flat = x1.reshape({-1, x1.size(-1)});
  auto text_out = mlp(post_attention_layernorm(flat.index_select(0, in.text_idx)));
  auto audio_out = audio_mlp(audio_post_attention_layernorm(flat.index_select(0, in.audio_idx)));
  auto delta = torch::zeros_like(flat)
                   .index_copy(0, in.text_idx, text_out)
                   .index_copy(0, in.audio_idx, audio_out);
  return x1 + delta.view_as(x1);
}

}  // namespace higgs::higgs_audio
