// HiggsAudioConfig: the checkpoint's config.json (HF `HiggsAudioConfig`, model_type "higgs_audio")
// read into typed fields, with every key the file had kept so that writing it back loses nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs {

/// `text_config.rope_scaling` (null in the file = no scaling, rope_type "default").
struct RopeScaling {
  std::string rope_type = "default";  // "default" or "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

/// `text_config`: the Llama backbone.
struct LlamaTextConfig {
  int64_t hidden_size = 4096;
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;
  int64_t num_key_value_heads = 32;
  int64_t head_dim = 0;  // 0 in memory = hidden_size / num_attention_heads
  int64_t intermediate_size = 11008;
  std::string hidden_act = "silu";
  double rms_norm_eps = 1e-6;
  int64_t vocab_size = 32000;
  int64_t max_position_embeddings = 2048;
  double rope_theta = 10000.0;
  std::optional<RopeScaling> rope_scaling;
  bool attention_bias = false;
  bool mlp_bias = false;
  double attention_dropout = 0.0;
  int64_t pretraining_tp = 1;
  std::optional<int64_t> bos_token_id, eos_token_id, pad_token_id;
  bool tie_word_embeddings = false;  // not honoured by Higgs Audio (separate text_lm_head)
  // Qwen3 (Higgs Audio v3): an RMSNorm over head_dim on every query and key head, after the
  // projections and before RoPE. Not read from a v2 config (Llama has none).
  bool qk_norm = false;
  double initializer_range = 0.02;

  int64_t resolved_head_dim() const {
    return head_dim > 0 ? head_dim : hidden_size / num_attention_heads;
  }
};

/// `audio_encoder_config`: the Whisper-like tower (only instantiated when !skip_audio_tower).
struct AudioEncoderConfig {
  int64_t d_model = 1280;
  int64_t encoder_layers = 32;
  int64_t encoder_attention_heads = 20;
  int64_t encoder_ffn_dim = 5120;
  int64_t num_mel_bins = 128;
  int64_t max_source_positions = 1500;
  std::string activation_function = "gelu";
  double dropout = 0.0, attention_dropout = 0.0, activation_dropout = 0.0;
  double encoder_layerdrop = 0.0;
  bool scale_embedding = false;
  double init_std = 0.02;
  int64_t pad_token_id = 128001;
};

/// Top-level Higgs Audio config. Defaults are the Python constructor's defaults (spec 1.2);
/// the released checkpoint overrides many of them.
struct HiggsAudioConfig {
  LlamaTextConfig text_config;
  AudioEncoderConfig audio_encoder_config;
  std::string audio_adapter_type = "stack";  // "stack", "dual_ffn", "dual_ffn_fast_forward"
  std::vector<int64_t> audio_dual_ffn_layers;
  int64_t audio_ffn_hidden_size = 4096;         // unused by the reference code
  int64_t audio_ffn_intermediate_size = 14336;  // unused by the reference code
  int64_t audio_decoder_proj_num_layers = 0;
  bool audio_embed_avg = false;
  bool encode_whisper_embed = true;
  bool encode_audio_in_tokens = false;
  bool skip_audio_tower = false;
  bool use_delay_pattern = false;
  bool use_audio_out_embed_projector = false;
  bool use_audio_out_self_attention = false;
  bool use_rq_transformer = false;
  int64_t audio_num_codebooks = 12;
  int64_t audio_codebook_size = 1024;
  int64_t audio_stream_bos_id = 1024;
  int64_t audio_stream_eos_id = 1025;
  int64_t audio_in_token_idx = 128015;
  int64_t audio_out_token_idx = 128016;
  int64_t audio_out_bos_token_id = 128013;
  int64_t audio_eos_token_id = 128012;
  int64_t pad_token_id = 128001;
  std::string audio_bos_token = "<|audio_bos|>";
  std::string audio_eos_token = "<|audio_eos|>";
  std::string audio_out_bos_token = "<|audio_out_bos|>";
  std::string audio_in_token = "<|AUDIO|>";
  std::string audio_out_token = "<|AUDIO_OUT|>";
  std::optional<int64_t> hidden_size;  // top-level copy of text_config.hidden_size
  std::string torch_dtype;             // "bfloat16" in the released file; informational

  /// Every key of the file as read, so that unknown keys survive a round trip.
  Json raw = Json::object();

  /// Rows per codebook in the audio embedding and head: codebook_size + stream BOS + EOS.
  int64_t codebook_rows() const { return audio_codebook_size + 2; }
  bool is_dual_ffn_layer(int64_t i) const;
  /// Layers the reference builds as fast-forward (audio positions skip them).
  bool is_fast_forward_layer(int64_t i) const;

  /// Parses config.json content. `source` names the file in errors.
  static HiggsAudioConfig from_json(const Json& j, const std::string& source = "config.json");
  static HiggsAudioConfig from_file(const std::string& path);
  /// The config as JSON: the original keys in their original order, typed fields written back.
  Json to_json() const;
  void save(const std::string& path) const;
  /// Throws a message naming `source` when the config asks for something not implemented.
  void check_supported(const std::string& source) const;
};

/// Every parameter the model has for `cfg` (names as in the released checkpoint, shapes, dtype)
/// and totals, computed from the config alone (no allocation):
/// {"tensors": [{"name","shape","dtype","numel","part"}], "num_tensors", "num_parameters",
///  "llm_parameters", "audio_parameters", "bytes"}.
Json model_info(const HiggsAudioConfig& cfg, const std::string& dtype = "bfloat16");

}  // namespace higgs
