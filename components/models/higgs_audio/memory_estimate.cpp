// The estimate counts, per token and decoder layer, the tensors autograd keeps for a Llama layer
// (the two RMSNorm inputs and outputs, q/k/v before and after RoPE, the attention output, the
// MLP's gate, up, SiLU and product) and, on DualFFN layers, the same for the audio FFN (counted
// for every token: an upper bound). With gradient checkpointing only each layer's input is kept,
// plus one layer's full set while it is recomputed. The (heads, L, L) attention scores are kept
// when attention runs on the math path (CPU); logits are fp32 in the loss, with their gradients.
#include "components/models/higgs_audio/memory_estimate.h"

#include "components/models/higgs_audio/config.h"

namespace higgs {

TrainingMemoryEstimate estimate_training_memory(const HiggsAudioConfig& cfg,
                                                const TrainingMemoryInputs& in) {
  const auto& t = cfg.text_config;
  const double h = double(t.hidden_size);
  const double kv = double(t.num_key_value_heads * t.resolved_head_dim());
  const double q = double(t.num_attention_heads * t.resolved_head_dim());
  const double inter = double(t.intermediate_size);
  const double tokens = double(in.rows) * double(in.positions);
  const double act_bytes = in.bf16 ? 2.0 : 4.0;

  // Elements saved per token: norm in/out (2h, twice), q/k/v and their RoPE outputs, the
  // attention output and o_proj's input, the MLP's four intermediate tensors.
  const double per_layer = 4 * h + 2 * q + 4 * kv + 2 * q + 4 * inter;
  const double per_dual = 4 * h + 4 * inter;  // the audio FFN's norm and MLP
  double layers_full = 0;
  for (int64_t i = 0; i < t.num_hidden_layers; ++i)
    layers_full += per_layer + (cfg.is_dual_ffn_layer(i) ? per_dual : 0.0);
  const double one_layer = per_layer + (cfg.audio_dual_ffn_layers.empty() ? 0.0 : per_dual);

  TrainingMemoryEstimate e;
  e.weights = double(model_info(cfg, "float32")["bytes"].get<int64_t>());
  e.activations = in.gradient_checkpointing
                      ? tokens * act_bytes * (double(t.num_hidden_layers) * h + one_layer)
                      : tokens * act_bytes * layers_full;
  if (in.attention_scores) {
    const double scores = double(in.rows) * double(t.num_attention_heads) * double(in.positions) *
                          double(in.positions) * act_bytes;
    e.attention = scores * (in.gradient_checkpointing ? 1.0 : double(t.num_hidden_layers));
  }
  const double audio_rows =
      double(in.rows) * double(in.audio_out_frames) * double(cfg.audio_num_codebooks);
  e.logits = 2 * 4.0 * (tokens * double(t.vocab_size) + audio_rows * double(cfg.codebook_rows()));
  return e;
}

}  // namespace higgs
