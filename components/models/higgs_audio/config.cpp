#include "components/models/higgs_audio/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "components/models/higgs_audio/transformers_port.h"
#include "framework/config/json_file.h"

namespace higgs {
namespace {

// Reads typed fields from a JSON object; records type errors with the file and key.
class FieldReader {
 public:
  FieldReader(const Json& j, std::string where) : j_(j), where_(std::move(where)) {}

  template <class T>
  void get(const char* key, T& out) {
    if (!j_.contains(key) || j_.at(key).is_null()) return;
    try {
      out = j_.at(key).get<T>();
    } catch (const std::exception&) {
      fail(key);
    }
  }
  void get(const char* key, bool& out) {
    if (!j_.contains(key) || j_.at(key).is_null()) return;
    const Json& v = j_.at(key);
    // The released file writes use_audio_out_self_attention as 0.
    if (v.is_boolean())
      out = v.get<bool>();
    else if (v.is_number_integer())
      out = v.get<int64_t>() != 0;
    else
      fail(key);
  }
  template <class T>
  void get(const char* key, std::optional<T>& out) {
    if (!j_.contains(key) || j_.at(key).is_null()) return;
    T v{};
    get(key, v);
    out = v;
  }

 private:
  void fail(const char* key) {
    throw std::runtime_error(where_ + ": key \"" + key + "\" has an unexpected type (" +
                             j_.at(key).dump() + "); fix the config file");
  }
  const Json& j_;
  std::string where_;
};

// Writes a typed value back unless the file already holds an equal value (keeps 0 vs false,
// 32 vs 32.0 exactly as the file wrote them).
template <class T>
void put(Json& j, const char* key, const T& v) {
  Json nv = v;
  if (j.contains(key)) {
    const Json& old = j.at(key);
    if (old == nv) return;
    if (old.is_number() && nv.is_number() && old.get<double>() == nv.get<double>()) return;
    if (old.is_number_integer() && nv.is_boolean() && (old.get<int64_t>() != 0) == nv.get<bool>())
      return;
  }
  j[key] = nv;
}
template <class T>
void put(Json& j, const char* key, const std::optional<T>& v) {
  if (v)
    put(j, key, *v);
  else if (!j.contains(key) || !j.at(key).is_null())
    j[key] = nullptr;
}

LlamaTextConfig read_text(const Json& j, const std::string& where) {
  LlamaTextConfig t;
  FieldReader r(j, where);
  r.get("hidden_size", t.hidden_size);
  r.get("num_hidden_layers", t.num_hidden_layers);
  r.get("num_attention_heads", t.num_attention_heads);
  t.num_key_value_heads = t.num_attention_heads;
  r.get("num_key_value_heads", t.num_key_value_heads);
  r.get("head_dim", t.head_dim);
  r.get("intermediate_size", t.intermediate_size);
  r.get("hidden_act", t.hidden_act);
  r.get("rms_norm_eps", t.rms_norm_eps);
  r.get("vocab_size", t.vocab_size);
  r.get("max_position_embeddings", t.max_position_embeddings);
  r.get("rope_theta", t.rope_theta);
  r.get("attention_bias", t.attention_bias);
  r.get("mlp_bias", t.mlp_bias);
  r.get("attention_dropout", t.attention_dropout);
  r.get("pretraining_tp", t.pretraining_tp);
  r.get("bos_token_id", t.bos_token_id);
  r.get("eos_token_id", t.eos_token_id);
  r.get("pad_token_id", t.pad_token_id);
  r.get("tie_word_embeddings", t.tie_word_embeddings);
  r.get("initializer_range", t.initializer_range);
  if (j.contains("rope_scaling") && !j.at("rope_scaling").is_null()) {
    const Json& rs = j.at("rope_scaling");
    RopeScaling s;
    FieldReader rr(rs, where + ": rope_scaling");
    if (rs.contains("rope_type"))
      rr.get("rope_type", s.rope_type);
    else
      rr.get("type", s.rope_type);  // older transformers spelling
    rr.get("factor", s.factor);
    rr.get("low_freq_factor", s.low_freq_factor);
    rr.get("high_freq_factor", s.high_freq_factor);
    rr.get("original_max_position_embeddings", s.original_max_position_embeddings);
    t.rope_scaling = s;
  }
  return t;
}

void write_text(Json& j, const LlamaTextConfig& t) {
  put(j, "hidden_size", t.hidden_size);
  put(j, "num_hidden_layers", t.num_hidden_layers);
  put(j, "num_attention_heads", t.num_attention_heads);
  put(j, "num_key_value_heads", t.num_key_value_heads);
  if (t.head_dim > 0 || j.contains("head_dim")) put(j, "head_dim", t.resolved_head_dim());
  put(j, "intermediate_size", t.intermediate_size);
  put(j, "hidden_act", t.hidden_act);
  put(j, "rms_norm_eps", t.rms_norm_eps);
  put(j, "vocab_size", t.vocab_size);
  put(j, "max_position_embeddings", t.max_position_embeddings);
  put(j, "rope_theta", t.rope_theta);
  put(j, "attention_bias", t.attention_bias);
  put(j, "mlp_bias", t.mlp_bias);
  put(j, "attention_dropout", t.attention_dropout);
  put(j, "pretraining_tp", t.pretraining_tp);
  put(j, "bos_token_id", t.bos_token_id);
  put(j, "eos_token_id", t.eos_token_id);
  put(j, "pad_token_id", t.pad_token_id);
  put(j, "tie_word_embeddings", t.tie_word_embeddings);
  put(j, "initializer_range", t.initializer_range);
  if (!t.rope_scaling) {
    put(j, "rope_scaling", std::optional<int64_t>());
  } else {
    Json rs = j.contains("rope_scaling") && j["rope_scaling"].is_object() ? j["rope_scaling"]
                                                                          : Json::object();
    const RopeScaling& s = *t.rope_scaling;
    put(rs, rs.contains("type") && !rs.contains("rope_type") ? "type" : "rope_type", s.rope_type);
    put(rs, "factor", s.factor);
    if (s.rope_type == "llama3") {
      put(rs, "low_freq_factor", s.low_freq_factor);
      put(rs, "high_freq_factor", s.high_freq_factor);
      put(rs, "original_max_position_embeddings", s.original_max_position_embeddings);
    }
    j["rope_scaling"] = rs;
  }
}

AudioEncoderConfig read_encoder(const Json& j, const std::string& where) {
  AudioEncoderConfig e;
  FieldReader r(j, where);
  r.get("d_model", e.d_model);
  r.get("encoder_layers", e.encoder_layers);
  r.get("encoder_attention_heads", e.encoder_attention_heads);
  r.get("encoder_ffn_dim", e.encoder_ffn_dim);
  r.get("num_mel_bins", e.num_mel_bins);
  r.get("max_source_positions", e.max_source_positions);
  r.get("activation_function", e.activation_function);
  r.get("dropout", e.dropout);
  r.get("attention_dropout", e.attention_dropout);
  r.get("activation_dropout", e.activation_dropout);
  r.get("encoder_layerdrop", e.encoder_layerdrop);
  r.get("scale_embedding", e.scale_embedding);
  r.get("init_std", e.init_std);
  r.get("pad_token_id", e.pad_token_id);
  return e;
}

void write_encoder(Json& j, const AudioEncoderConfig& e) {
  put(j, "d_model", e.d_model);
  put(j, "encoder_layers", e.encoder_layers);
  put(j, "encoder_attention_heads", e.encoder_attention_heads);
  put(j, "encoder_ffn_dim", e.encoder_ffn_dim);
  put(j, "num_mel_bins", e.num_mel_bins);
  put(j, "max_source_positions", e.max_source_positions);
  put(j, "activation_function", e.activation_function);
  put(j, "dropout", e.dropout);
  put(j, "attention_dropout", e.attention_dropout);
  put(j, "activation_dropout", e.activation_dropout);
  put(j, "encoder_layerdrop", e.encoder_layerdrop);
  put(j, "scale_embedding", e.scale_embedding);
  put(j, "init_std", e.init_std);
  put(j, "pad_token_id", e.pad_token_id);
}

}  // namespace

bool HiggsAudioConfig::is_dual_ffn_layer(int64_t i) const {
  if (audio_adapter_type == "stack") return false;
  return std::find(audio_dual_ffn_layers.begin(), audio_dual_ffn_layers.end(), i) !=
         audio_dual_ffn_layers.end();
}

bool HiggsAudioConfig::is_fast_forward_layer(int64_t i) const {
  return audio_adapter_type == "dual_ffn_fast_forward" && !is_dual_ffn_layer(i);
}

HiggsAudioConfig HiggsAudioConfig::from_json(const Json& j, const std::string& source) {
  if (!j.is_object()) throw std::runtime_error(source + ": expected a JSON object");
  // A checkpoint in the Transformers port's layout: read as the released layout it maps to.
  if (is_transformers_port_config(j))
    return from_json(config_from_transformers_port(j, source), source);
  HiggsAudioConfig c;
  c.raw = j;
  FieldReader r(j, source);
  if (j.contains("text_config") && j.at("text_config").is_object())
    c.text_config = read_text(j.at("text_config"), source + ": text_config");
  if (j.contains("audio_encoder_config") && j.at("audio_encoder_config").is_object())
    c.audio_encoder_config =
        read_encoder(j.at("audio_encoder_config"), source + ": audio_encoder_config");
  r.get("audio_adapter_type", c.audio_adapter_type);
  r.get("audio_dual_ffn_layers", c.audio_dual_ffn_layers);
  r.get("audio_ffn_hidden_size", c.audio_ffn_hidden_size);
  r.get("audio_ffn_intermediate_size", c.audio_ffn_intermediate_size);
  r.get("audio_decoder_proj_num_layers", c.audio_decoder_proj_num_layers);
  r.get("audio_embed_avg", c.audio_embed_avg);
  r.get("encode_whisper_embed", c.encode_whisper_embed);
  r.get("encode_audio_in_tokens", c.encode_audio_in_tokens);
  r.get("skip_audio_tower", c.skip_audio_tower);
  r.get("use_delay_pattern", c.use_delay_pattern);
  r.get("use_audio_out_embed_projector", c.use_audio_out_embed_projector);
  r.get("use_audio_out_self_attention", c.use_audio_out_self_attention);
  r.get("use_rq_transformer", c.use_rq_transformer);
  r.get("audio_num_codebooks", c.audio_num_codebooks);
  r.get("audio_codebook_size", c.audio_codebook_size);
  r.get("audio_stream_bos_id", c.audio_stream_bos_id);
  r.get("audio_stream_eos_id", c.audio_stream_eos_id);
  r.get("audio_in_token_idx", c.audio_in_token_idx);
  r.get("audio_out_token_idx", c.audio_out_token_idx);
  r.get("audio_out_bos_token_id", c.audio_out_bos_token_id);
  r.get("audio_eos_token_id", c.audio_eos_token_id);
  r.get("pad_token_id", c.pad_token_id);
  r.get("audio_bos_token", c.audio_bos_token);
  r.get("audio_eos_token", c.audio_eos_token);
  r.get("audio_out_bos_token", c.audio_out_bos_token);
  r.get("audio_in_token", c.audio_in_token);
  r.get("audio_out_token", c.audio_out_token);
  r.get("hidden_size", c.hidden_size);
  r.get("torch_dtype", c.torch_dtype);
  return c;
}

HiggsAudioConfig HiggsAudioConfig::from_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error(path + ": cannot open the model config (config.json)");
  return from_json(read_json_file(path), path);
}

Json HiggsAudioConfig::to_json() const {
  Json j = raw;
  Json text =
      j.contains("text_config") && j["text_config"].is_object() ? j["text_config"] : Json::object();
  write_text(text, text_config);
  j["text_config"] = text;
  Json enc = j.contains("audio_encoder_config") && j["audio_encoder_config"].is_object()
                 ? j["audio_encoder_config"]
                 : Json::object();
  write_encoder(enc, audio_encoder_config);
  j["audio_encoder_config"] = enc;
  put(j, "audio_adapter_type", audio_adapter_type);
  put(j, "audio_dual_ffn_layers", audio_dual_ffn_layers);
  put(j, "audio_ffn_hidden_size", audio_ffn_hidden_size);
  put(j, "audio_ffn_intermediate_size", audio_ffn_intermediate_size);
  put(j, "audio_decoder_proj_num_layers", audio_decoder_proj_num_layers);
  put(j, "audio_embed_avg", audio_embed_avg);
  put(j, "encode_whisper_embed", encode_whisper_embed);
  put(j, "encode_audio_in_tokens", encode_audio_in_tokens);
  put(j, "skip_audio_tower", skip_audio_tower);
  put(j, "use_delay_pattern", use_delay_pattern);
  put(j, "use_audio_out_embed_projector", use_audio_out_embed_projector);
  put(j, "use_audio_out_self_attention", use_audio_out_self_attention);
  put(j, "use_rq_transformer", use_rq_transformer);
  put(j, "audio_num_codebooks", audio_num_codebooks);
  put(j, "audio_codebook_size", audio_codebook_size);
  put(j, "audio_stream_bos_id", audio_stream_bos_id);
  put(j, "audio_stream_eos_id", audio_stream_eos_id);
  put(j, "audio_in_token_idx", audio_in_token_idx);
  put(j, "audio_out_token_idx", audio_out_token_idx);
  put(j, "audio_out_bos_token_id", audio_out_bos_token_id);
  put(j, "audio_eos_token_id", audio_eos_token_id);
  put(j, "pad_token_id", pad_token_id);
  put(j, "audio_bos_token", audio_bos_token);
  put(j, "audio_eos_token", audio_eos_token);
  put(j, "audio_out_bos_token", audio_out_bos_token);
  put(j, "audio_in_token", audio_in_token);
  put(j, "audio_out_token", audio_out_token);
  put(j, "hidden_size", hidden_size);
  if (!torch_dtype.empty()) put(j, "torch_dtype", torch_dtype);
  if (!j.contains("model_type")) j["model_type"] = "higgs_audio";
  return j;
}

void HiggsAudioConfig::save(const std::string& path) const {
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot write the model config");
  out << to_json().dump(2) << "\n";
  if (!out) throw std::runtime_error(path + ": write failed");
}

void HiggsAudioConfig::check_supported(const std::string& source) const {
  std::vector<std::string> problems;
  const auto& t = text_config;
  if (audio_adapter_type != "stack" && audio_adapter_type != "dual_ffn" &&
      audio_adapter_type != "dual_ffn_fast_forward")
    problems.push_back("audio_adapter_type \"" + audio_adapter_type +
                       "\" is unknown (stack, dual_ffn, dual_ffn_fast_forward)");
  if (audio_decoder_proj_num_layers != 0)
    problems.push_back(
        "audio_decoder_proj_num_layers > 0 (decoder-projector transformer layers) "
        "is not implemented");
  if (use_audio_out_self_attention)
    problems.push_back(
        "use_audio_out_self_attention (separate audio attention) is not implemented");
  if (use_rq_transformer) problems.push_back("use_rq_transformer is not implemented");
  if (!skip_audio_tower) {  // the Whisper tower is built: check what it needs
    const auto& e = audio_encoder_config;
    if (e.activation_function != "gelu")
      problems.push_back("audio_encoder_config.activation_function \"" + e.activation_function +
                         "\" is not implemented (gelu)");
    if (e.d_model <= 0 || e.encoder_attention_heads <= 0 ||
        e.d_model % e.encoder_attention_heads != 0)
      problems.push_back(
          "audio_encoder_config.d_model must be a positive multiple of encoder_attention_heads");
    if (e.encoder_layerdrop != 0.0)
      problems.push_back("audio_encoder_config.encoder_layerdrop > 0 is not implemented");
    if (e.max_source_positions < 2 || e.num_mel_bins <= 0 || e.encoder_ffn_dim <= 0)
      problems.push_back(
          "audio_encoder_config needs max_source_positions >= 2 and positive num_mel_bins and "
          "encoder_ffn_dim");
  }
  if (!raw.is_object() || !raw.contains("text_config") || !raw["text_config"].is_object())
    problems.push_back(
        "text_config is missing: a Higgs Audio config.json holds the language "
        "model's config there (see the released config.json)");
  if (t.hidden_act != "silu") problems.push_back("text_config.hidden_act must be \"silu\"");
  if (t.hidden_size <= 0 || t.num_hidden_layers <= 0 || t.num_attention_heads <= 0 ||
      t.num_key_value_heads <= 0 || t.intermediate_size <= 0 || t.vocab_size <= 0 ||
      t.resolved_head_dim() <= 0)
    problems.push_back(
        "text_config: hidden_size, num_hidden_layers, num_attention_heads, "
        "num_key_value_heads, head_dim, intermediate_size and vocab_size must be "
        "positive");
  else if (t.num_attention_heads % t.num_key_value_heads != 0)
    problems.push_back("text_config.num_attention_heads must be a multiple of num_key_value_heads");
  if (t.pretraining_tp != 1) problems.push_back("text_config.pretraining_tp must be 1");
  if (t.rope_scaling && t.rope_scaling->rope_type != "default" &&
      t.rope_scaling->rope_type != "llama3")
    problems.push_back("text_config.rope_scaling.rope_type \"" + t.rope_scaling->rope_type +
                       "\" is not implemented (default, llama3)");
  for (int64_t i : audio_dual_ffn_layers)
    if (i < 0 || i >= t.num_hidden_layers)
      problems.push_back("audio_dual_ffn_layers has " + std::to_string(i) + ", outside [0, " +
                         std::to_string(t.num_hidden_layers) + ")");
  for (int64_t id : {audio_in_token_idx, audio_out_token_idx, pad_token_id})
    if (id < 0 || id >= t.vocab_size)
      problems.push_back("token id " + std::to_string(id) + " is outside the vocabulary (" +
                         std::to_string(t.vocab_size) + ")");
  if (problems.empty()) return;
  std::ostringstream msg;
  msg << source << ": this Higgs Audio config cannot be built:";
  for (const auto& p : problems) msg << "\n  - " << p;
  throw std::runtime_error(msg.str());
}

}  // namespace higgs
