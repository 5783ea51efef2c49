// model_info: the parameter table of a Higgs Audio config without allocating any weight. The
// names are the released checkpoint's (spec 1.4); the model's constructor registers exactly these
// (a unit test checks the two agree).
#include <stdexcept>

#include "components/models/higgs_audio/config.h"

namespace higgs {
namespace {

int64_t dtype_bytes(const std::string& dtype) {
  if (dtype == "bfloat16" || dtype == "float16") return 2;
  if (dtype == "float32") return 4;
  throw std::runtime_error("model_info: unknown dtype \"" + dtype + "\" (bfloat16, float32)");
}

struct Table {
  Json tensors = Json::array();
  int64_t total = 0, llm = 0, audio = 0, tower = 0;
  bool in_tower = false;  // while set, add() counts into the audio tower part
  std::string dtype;
  void add(const std::string& name, std::vector<int64_t> shape, bool audio_part) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    tensors.push_back({{"name", name},
                       {"shape", shape},
                       {"dtype", dtype},
                       {"numel", n},
                       {"part", in_tower     ? "audio_tower"
                                : audio_part ? "audio"
                                             : "llm"}});
    total += n;
    (in_tower ? tower : audio_part ? audio : llm) += n;
  }
  void linear(const std::string& name, int64_t out, int64_t in, bool bias, bool audio_part) {
    add(name + ".weight", {out, in}, audio_part);
    if (bias) add(name + ".bias", {out}, audio_part);
  }
};

}  // namespace

Json model_info(const HiggsAudioConfig& cfg, const std::string& dtype) {
  const auto& t = cfg.text_config;
  const int64_t h = t.hidden_size, hd = t.resolved_head_dim();
  const int64_t q_out = t.num_attention_heads * hd, kv_out = t.num_key_value_heads * hd;
  const int64_t audio_rows = cfg.audio_num_codebooks * cfg.codebook_rows();
  Table tb;
  tb.dtype = dtype;
  const int64_t bytes_per = dtype_bytes(dtype);

  tb.add("embed_tokens.weight", {t.vocab_size, h}, false);
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    const bool dual = cfg.is_dual_ffn_layer(i);
    auto mlp = [&](const std::string& m, bool audio_part) {
      tb.linear(p + m + ".gate_proj", t.intermediate_size, h, t.mlp_bias, audio_part);
      tb.linear(p + m + ".up_proj", t.intermediate_size, h, t.mlp_bias, audio_part);
      tb.linear(p + m + ".down_proj", h, t.intermediate_size, t.mlp_bias, audio_part);
    };
    tb.linear(p + "self_attn.q_proj", q_out, h, t.attention_bias, false);
    tb.linear(p + "self_attn.k_proj", kv_out, h, t.attention_bias, false);
    tb.linear(p + "self_attn.v_proj", kv_out, h, t.attention_bias, false);
    tb.linear(p + "self_attn.o_proj", h, q_out, t.attention_bias, false);
    mlp("mlp", false);
    if (dual) mlp("audio_mlp", true);
    tb.add(p + "input_layernorm.weight", {h}, false);
    tb.add(p + "post_attention_layernorm.weight", {h}, false);
    if (dual) {
      tb.add(p + "audio_input_layernorm.weight", {h}, true);
      tb.add(p + "audio_post_attention_layernorm.weight", {h}, true);
    }
  }
  tb.add("norm.weight", {h}, false);
  tb.add("audio_codebook_embeddings.weight", {audio_rows, h}, true);
  if (cfg.use_audio_out_embed_projector) tb.linear("audio_out_embed_projector", h, h, false, true);
  tb.linear("audio_decoder_proj.text_lm_head", t.vocab_size, h, false, false);
  tb.linear("audio_decoder_proj.audio_lm_head", audio_rows, h, false, true);
  if (!cfg.skip_audio_tower) {  // HiggsAudioEncoder + HiggsAudioFeatureProjector (audio_tower.h)
    const auto& e = cfg.audio_encoder_config;
    const int64_t d = e.d_model;
    tb.in_tower = true;
    tb.add("audio_tower.conv1.weight", {d, e.num_mel_bins, 3}, true);
    tb.add("audio_tower.conv1.bias", {d}, true);
    tb.add("audio_tower.conv2.weight", {d, d, 3}, true);
    tb.add("audio_tower.conv2.bias", {d}, true);
    tb.add("audio_tower.embed_positions.weight", {e.max_source_positions, d}, true);
    for (int64_t i = 0; i < e.encoder_layers; ++i) {
      const std::string p = "audio_tower.layers." + std::to_string(i) + ".";
      tb.linear(p + "self_attn.k_proj", d, d, false, true);
      tb.linear(p + "self_attn.v_proj", d, d, true, true);
      tb.linear(p + "self_attn.q_proj", d, d, true, true);
      tb.linear(p + "self_attn.out_proj", d, d, true, true);
      tb.add(p + "self_attn_layer_norm.weight", {d}, true);
      tb.add(p + "self_attn_layer_norm.bias", {d}, true);
      tb.linear(p + "fc1", e.encoder_ffn_dim, d, true, true);
      tb.linear(p + "fc2", d, e.encoder_ffn_dim, true, true);
      tb.add(p + "final_layer_norm.weight", {d}, true);
      tb.add(p + "final_layer_norm.bias", {d}, true);
    }
    tb.add("audio_tower.layer_norm.weight", {d}, true);
    tb.add("audio_tower.layer_norm.bias", {d}, true);
    tb.linear("audio_encoder_proj.linear", h, d, true, true);
    tb.in_tower = false;
  }

  Json out;
  out["tensors"] = tb.tensors;
  out["num_tensors"] = static_cast<int64_t>(tb.tensors.size());
  out["num_parameters"] = tb.total;
  out["total_parameters"] = tb.total;
  out["llm_parameters"] = tb.llm;
  out["audio_parameters"] = tb.audio;
  out["dtype"] = dtype;
  out["bytes"] = tb.total * bytes_per;
  if (!cfg.skip_audio_tower) out["audio_tower_parameters"] = tb.tower;
  return out;
}

}  // namespace higgs
