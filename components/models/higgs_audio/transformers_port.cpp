#include "components/models/higgs_audio/transformers_port.h"

#include <stdexcept>

#include "components/models/higgs_audio/config.h"

namespace higgs {
namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

const Json& need(const Json& j, const char* key, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    throw std::runtime_error(
        source + ": a higgs_audio_v2 (Transformers port) config.json needs \"" + key + "\"");
  return *it;
}

// Text fields the port keeps at its top level, under the same names as the Llama text_config.
const char* const kTextKeys[] = {"vocab_size",
                                 "hidden_size",
                                 "intermediate_size",
                                 "num_hidden_layers",
                                 "num_attention_heads",
                                 "num_key_value_heads",
                                 "head_dim",
                                 "hidden_act",
                                 "rms_norm_eps",
                                 "max_position_embeddings",
                                 "attention_bias",
                                 "mlp_bias"};

}  // namespace

bool is_transformers_port_config(const Json& config) {
  return config.is_object() && config.value("model_type", std::string()) == "higgs_audio_v2";
}

Json config_from_transformers_port(const Json& port, const std::string& source) {
  Json text = {{"model_type", "llama"}};
  for (const char* k : kTextKeys)
    if (port.contains(k)) text[k] = port[k];
  for (const char* k : {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads"})
    need(port, k, source);
  if (port.contains("rope_parameters")) {
    Json rope = port["rope_parameters"];
    if (rope.contains("rope_theta")) text["rope_theta"] = rope["rope_theta"];
    rope.erase("rope_theta");
    if (rope.value("rope_type", std::string("default")) != "default") text["rope_scaling"] = rope;
  }
  const int64_t layers = need(port, "num_hidden_layers", source).get<int64_t>();
  Json dual = Json::array();
  for (int64_t i = 0; i < layers; ++i) dual.push_back(i);
  const int64_t rows =
      need(port, "codebook_size", source).get<int64_t>();  // includes stream BOS/EOS
  Json out = {{"model_type", "higgs_audio"},
              {"text_config", text},
              {"audio_adapter_type", "dual_ffn_fast_forward"},
              {"audio_dual_ffn_layers", dual},  // every layer of the port is a DualFFN layer
              {"audio_num_codebooks", need(port, "num_codebooks", source)},
              {"audio_codebook_size", rows - 2},
              {"audio_stream_bos_id", port.value("audio_stream_bos_id", rows - 2)},
              {"audio_stream_eos_id", port.value("audio_stream_eos_id", rows - 1)},
              {"audio_out_token_idx", need(port, "audio_token_id", source)},
              {"audio_out_bos_token_id", need(port, "audio_bos_token_id", source)},
              {"use_delay_pattern", true},
              {"skip_audio_tower", true},
              {"encode_whisper_embed", false},
              {"encode_audio_in_tokens", true}};
  if (port.contains("pad_token_id") && !port["pad_token_id"].is_null())
    out["pad_token_id"] = port["pad_token_id"];
  // Not the port's keys (it has no audio-in kind and ends audio in its processor); our export
  // writes them so that a model with other ids comes back whole. Otherwise the released ids.
  if (port.contains("audio_in_token_id")) out["audio_in_token_idx"] = port["audio_in_token_id"];
  if (port.contains("audio_eos_token_id")) out["audio_eos_token_id"] = port["audio_eos_token_id"];
  return out;
}

Json transformers_port_config(const HiggsAudioConfig& cfg) {
  const auto& t = cfg.text_config;
  std::string why;
  for (int64_t i = 0; i < t.num_hidden_layers && why.empty(); ++i)
    if (!cfg.is_dual_ffn_layer(i))
      why =
          "layer " + std::to_string(i) + " is not a DualFFN layer (every layer of the port is one)";
  if (why.empty() && !cfg.skip_audio_tower) why = "it has a Whisper audio tower";
  if (why.empty() &&
      (cfg.use_audio_out_self_attention || cfg.use_audio_out_embed_projector ||
       cfg.use_rq_transformer || cfg.audio_decoder_proj_num_layers > 0 || cfg.audio_embed_avg))
    why =
        "it uses an audio option the port does not have (audio self-attention, embedding "
        "projector, RQ "
        "transformer, decoder projection layers or averaged audio embeddings)";
  if (why.empty() && !cfg.use_delay_pattern) why = "it does not use the delay pattern";
  if (!why.empty())
    throw std::runtime_error("the Transformers higgs_audio_v2 layout cannot hold this model: " +
                             why + "; export it in the released layout instead");
  Json text = cfg.to_json()["text_config"];
  Json out = {
      {"model_type", "higgs_audio_v2"},
      {"architectures", {"HiggsAudioV2ForConditionalGeneration"}},
      {"num_codebooks", cfg.audio_num_codebooks},
      {"codebook_size", cfg.codebook_rows()},
      {"audio_stream_bos_id", cfg.audio_stream_bos_id},
      {"audio_stream_eos_id", cfg.audio_stream_eos_id},
      {"audio_token_id", cfg.audio_out_token_idx},
      {"audio_bos_token_id", cfg.audio_out_bos_token_id},
      {"audio_delay_token_id",
       128014},  // <|reserved_special_token_6|>, the port's delay placeholder
      {"pad_token_id", cfg.pad_token_id},
      {"audio_in_token_id", cfg.audio_in_token_idx},  // kept for the way back (not the port's)
      {"audio_eos_token_id", cfg.audio_eos_token_id},
      {"tie_word_embeddings", false}};
  for (const char* k : kTextKeys)
    if (text.contains(k)) out[k] = text[k];
  out["head_dim"] = t.resolved_head_dim();
  Json rope = text.value("rope_scaling", Json::object());
  if (!rope.is_object() || rope.empty()) rope = {{"rope_type", "default"}};
  rope["rope_theta"] = text.value("rope_theta", 10000.0);
  out["rope_parameters"] = rope;
  return out;
}

std::string transformers_port_tensor_name(const std::string& n) {
  if (starts_with(n, "audio_codebook_embeddings."))
    return "model.embed_audio_tokens.embed_audio_tokens." +
           n.substr(std::string("audio_codebook_embeddings.").size());
  if (starts_with(n, "embed_tokens") || starts_with(n, "layers") || starts_with(n, "norm"))
    return "model." + n;
  if (starts_with(n, "audio_decoder_proj."))
    return n.substr(std::string("audio_decoder_proj.").size());
  return n;
}

std::string released_tensor_name(const std::string& n) {
  const std::string emb = "model.embed_audio_tokens.embed_audio_tokens.";
  if (starts_with(n, emb)) return "audio_codebook_embeddings." + n.substr(emb.size());
  if (starts_with(n, "model.")) return n.substr(6);
  if (starts_with(n, "audio_lm_head.") || starts_with(n, "text_lm_head."))
    return "audio_decoder_proj." + n;
  return n;
}

}  // namespace higgs
