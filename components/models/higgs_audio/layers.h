// Llama building blocks and the Higgs Audio decoder layer (plain, DualFFN, fast-forward), with
// the released checkpoint's parameter names. Maths follows HF transformers 4.46 Llama.
#pragma once

#include <torch/torch.h>

#include <tuple>

#include "components/models/higgs_audio/config.h"

// Every linear layer is an AdaptableLinear, so LoRA attaches by name (same parameter names and
// shapes as torch::nn::Linear).
#include "components/adapters/adaptable_linear.h"

namespace higgs::higgs_audio {

using LinearLayer = higgs::AdaptableLinear;
/// A linear layer (no bias unless `bias`) of the type above.
LinearLayer make_linear(int64_t in, int64_t out, bool bias);

/// RMSNorm computed in fp32 and cast back, then scaled by the weight (LlamaRMSNorm).
class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(RMSNorm);

/// SwiGLU feed-forward: down(silu(gate(x)) * up(x)).
class LlamaMLPImpl : public torch::nn::Module {
 public:
  explicit LlamaMLPImpl(const LlamaTextConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  LinearLayer gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMLP);

/// Inverse RoPE frequencies (head_dim/2, fp32), with llama3 scaling when configured.
torch::Tensor rope_inv_freq(const LlamaTextConfig& c);
/// cos/sin tables (B, L, head_dim) for position_ids (B, L), computed in fp32, cast to `dtype`.
/// The most negative finite value of `dtype`, used as the additive "masked" entry of attention
/// masks (as transformers' torch.finfo(dtype).min).
double mask_lowest(torch::ScalarType dtype);

/// (B, kv_heads, L, D) -> (B, heads, L, D), each key/value head repeated for its query group
/// (transformers' repeat_kv); `t` itself when there is one key head per query head.
torch::Tensor repeat_kv(const torch::Tensor& t, int64_t heads);

/// softmax(q kᵀ / sqrt(d) + mask) v on ATen's fused kernels, for q (B,H,Lq,D), k/v (B,H,Lk,D) and
/// an additive mask broadcastable to (B,H,Lq,Lk); an undefined mask is no mask.
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask);

std::pair<torch::Tensor, torch::Tensor> rope_cos_sin(const torch::Tensor& inv_freq,
                                                     const torch::Tensor& position_ids,
                                                     torch::ScalarType dtype);

/// Grouped-query self-attention with RoPE and an additive (B,1,L,L) mask; with qk_norm, Qwen3's
/// per-head RMSNorm of queries and keys before RoPE (q_norm, k_norm).
class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const LlamaTextConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& mask);
  /// Incremental attention (incremental.cpp): appends the new keys/values (RoPE applied, before
  /// the GQA repeat) to `cache_k`/`cache_v` and attends over all of them. `mask` (B,1,L,T+L)
  /// additive, or undefined when every new position may see every key.
  torch::Tensor forward_cached(const torch::Tensor& x, const torch::Tensor& cos,
                               const torch::Tensor& sin, const torch::Tensor& mask,
                               torch::Tensor& cache_k, torch::Tensor& cache_v);
  LinearLayer q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  RMSNorm q_norm{nullptr}, k_norm{nullptr};  // Qwen3 only (LlamaTextConfig::qk_norm)
  int64_t num_heads, num_kv_heads, head_dim;

 private:
  /// Queries (B, heads, L, D) and keys/values (B, kv_heads, L, D) of `x`, RoPE applied to
  /// queries and keys: the part both forwards share.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project(const torch::Tensor& x,
                                                                  const torch::Tensor& cos,
                                                                  const torch::Tensor& sin);
};
TORCH_MODULE(LlamaAttention);

/// What every layer of one forward pass shares.
struct LayerInputs {
  torch::Tensor cos, sin;      // (B, L, head_dim)
  torch::Tensor attn_mask;     // (B, 1, L, L) additive: causal + key padding
  torch::Tensor ff_attn_mask;  // the same with audio rows/columns masked (fast-forward layers)
  torch::Tensor audio_mask;    // (B, L) bool: audio-in code | audio-out positions
  torch::Tensor audio_idx;     // flat (B*L) indices of audio positions
  torch::Tensor text_idx;      // flat indices of all other positions
  bool has_audio = false;
};

enum class LayerKind {
  kPlain,        // LlamaDecoderLayer ("stack", or "dual_ffn" layers not in the list)
  kDualFFN,      // audio positions use audio_* norms and audio_mlp; attention is shared
  kFastForward,  // audio positions keep their input; text attends only to text
};

/// One decoder layer. Names: self_attn, mlp, input_layernorm, post_attention_layernorm, and for
/// DualFFN audio_mlp, audio_input_layernorm, audio_post_attention_layernorm.
class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const LlamaTextConfig& c, LayerKind kind);
  torch::Tensor forward(const torch::Tensor& x, const LayerInputs& in);
  /// The same maths for new positions only, reading and extending a layer's cache
  /// (incremental.cpp). `in.attn_mask`/`in.ff_attn_mask` are (B,1,L,T+L) or undefined.
  torch::Tensor forward_cached(const torch::Tensor& x, const LayerInputs& in,
                               torch::Tensor& cache_k, torch::Tensor& cache_v);
  LayerKind kind;
  LlamaAttention self_attn{nullptr};
  LlamaMLP mlp{nullptr}, audio_mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  RMSNorm audio_input_layernorm{nullptr}, audio_post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

}  // namespace higgs::higgs_audio
