// Shared pieces of the higgs_audio model tests: a tiny config of the released architecture, a
// hand-made batch with audio-in and audio-out runs, and a runner for the Python reference.
#pragma once

#include <torch/torch.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/model.h"
#include "components/models/higgs_audio/weights_io.h"
#include "framework/train/types.h"

namespace higgs_test {

namespace fs = std::filesystem;
using higgs::Json;

// Verbatim copies of the released checkpoint's config.json and model.safetensors.index.json.
inline const std::string kReleasedConfig =
    std::string(HIGGS_SOURCE_DIR) + "/tests/golden/higgs_audio_v2_3b/config.json";
inline const std::string kReleasedIndex =
    std::string(HIGGS_SOURCE_DIR) + "/tests/golden/higgs_audio_v2_3b/model.safetensors.index.json";

// Token ids of the tiny vocabulary (all inside vocab_size 300).
constexpr int kPad = 1, kAudioIn = 290, kAudioOut = 291, kOutBos = 292, kAudioEos = 293;
constexpr int64_t kBooks = 4, kRows = 18;  // codebook_size 16 + stream BOS/EOS

inline Json tiny_config_json(const std::string& adapter = "dual_ffn_fast_forward",
                             Json dual_layers = Json::array({0, 1})) {
  Json text = {{"hidden_size", 64},
               {"num_hidden_layers", 2},
               {"num_attention_heads", 4},
               {"num_key_value_heads", 2},
               {"head_dim", 16},
               {"intermediate_size", 96},
               {"hidden_act", "silu"},
               {"rms_norm_eps", 1e-5},
               {"vocab_size", 300},
               {"max_position_embeddings", 4096},
               {"rope_theta", 10000.0},
               {"rope_scaling",
                {{"rope_type", "llama3"},
                 {"factor", 8.0},
                 {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0},
                 {"original_max_position_embeddings", 1024}}},
               {"attention_bias", false},
               {"mlp_bias", false},
               {"model_type", "llama"},
               {"some_unknown_key", "kept"}};
  return Json{{"model_type", "higgs_audio"},
              {"audio_adapter_type", adapter},
              {"audio_dual_ffn_layers", dual_layers},
              {"audio_num_codebooks", kBooks},
              {"audio_codebook_size", 16},
              {"audio_stream_bos_id", 16},
              {"audio_stream_eos_id", 17},
              {"audio_in_token_idx", kAudioIn},
              {"audio_out_token_idx", kAudioOut},
              {"audio_out_bos_token_id", kOutBos},
              {"audio_eos_token_id", kAudioEos},
              {"pad_token_id", kPad},
              {"encode_audio_in_tokens", true},
              {"encode_whisper_embed", false},
              {"skip_audio_tower", true},
              {"use_delay_pattern", true},
              {"audio_encoder_config", {{"init_std", 0.02}}},
              {"text_config", text}};
}

// The tiny config with a Whisper audio tower (skip_audio_tower false): d_model 32, 2 encoder
// layers, 4 heads, 80 mel bins, 8 positions = 16 mel frames per window, 4 output frames.
constexpr int64_t kMels = 80, kMelFrames = 16, kTowerFrames = 4;
inline Json tower_config_json() {
  Json j = tiny_config_json();
  j["skip_audio_tower"] = false;
  j["encode_whisper_embed"] = true;
  j["audio_encoder_config"] = {{"d_model", 32},
                               {"encoder_layers", 2},
                               {"encoder_attention_heads", 4},
                               {"encoder_ffn_dim", 48},
                               {"num_mel_bins", kMels},
                               {"max_source_positions", kMelFrames / 2},
                               {"activation_function", "gelu"},
                               {"dropout", 0.0},
                               {"attention_dropout", 0.0},
                               {"activation_dropout", 0.0},
                               {"init_std", 0.02},
                               {"model_type", "higgs_audio_encoder"}};
  return j;
}

inline fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("higgs_model_" + tag + "_" + std::to_string(::getpid()) +
                                        "_" + std::to_string(std::random_device{}()));
  fs::create_directories(d);
  return d;
}

inline torch::Tensor codes(int64_t cols, int64_t seed) {
  return torch::randint(0, kRows, {kBooks, cols}, at::make_generator<at::CPUGeneratorImpl>(seed),
                        torch::kInt64);
}

/// Two samples, right padded to 12 tokens: sample 0 has one audio-out run (8 columns); sample 1
/// has an audio-in run (5) and two audio-out runs (6 and 4). Text labels on a few tokens.
inline higgs::Batch two_sample_batch() {
  higgs::Batch b;
  auto ids = torch::tensor(
      {{5, 6, 7, kOutBos, kAudioOut, kAudioEos, 8, 9, kPad, kPad, kPad, kPad},
       {5, kAudioIn, 6, kOutBos, kAudioOut, kAudioEos, kOutBos, kAudioOut, kAudioEos, 10, 11, 12}},
      torch::kInt64);
  auto mask = ids.ne(kPad).to(torch::kInt64);
  auto labels = torch::full_like(ids, -100);
  labels.index_put_({0, 3}, kOutBos);
  labels.index_put_({0, 5}, kAudioEos);
  labels.index_put_({0, 6}, 8);
  labels.index_put_({0, 7}, 9);
  labels.index_put_({1, 5}, kAudioEos);
  labels.index_put_({1, 6}, kOutBos);
  labels.index_put_({1, 8}, kAudioEos);
  labels.index_put_({1, 10}, 11);
  labels.index_put_({1, 11}, 12);
  b.tensors["input_ids"] = ids;
  b.tensors["attention_mask"] = mask;
  b.tensors["label_ids"] = labels;
  b.tensors["audio_in_ids"] = codes(5, 11);
  b.tensors["audio_in_ids_start"] = torch::tensor({0}, torch::kInt64);
  auto out = codes(18, 12);
  b.tensors["audio_out_ids"] = out;
  b.tensors["audio_out_ids_start"] = torch::tensor({0, 8, 14}, torch::kInt64);
  auto la = out.clone();
  la.index_put_({torch::indexing::Slice(), 0}, -100);  // first column of each run is never a target
  la.index_put_({torch::indexing::Slice(), 8}, -100);
  la.index_put_({torch::indexing::Slice(), 14}, -100);
  la.index_put_({0, 3}, -100);
  la.index_put_({2, 16}, -100);
  b.tensors["label_audio_ids"] = la;
  b.infos.resize(2);
  return b;
}

/// two_sample_batch with an <|AUDIO|> in sample 0 too (position 1), each with a Whisper feature
/// window: window 0 is full (16 frames: 4 kept), window 1 has 9 valid frames (5 after conv2, 2
/// kept). With `codes`, both <|AUDIO|> also have audio-in code runs (3 and 5 columns).
inline higgs::Batch whisper_batch(bool codes_too = true) {
  auto b = two_sample_batch();
  b.tensors["input_ids"].index_put_({0, 1}, kAudioIn);
  b.tensors["label_ids"].index_put_({0, 1}, -100);
  if (codes_too) {
    b.tensors["audio_in_ids"] = codes(8, 13);
    b.tensors["audio_in_ids_start"] = torch::tensor({0, 3}, torch::kInt64);
  } else {
    b.tensors.erase("audio_in_ids");
    b.tensors.erase("audio_in_ids_start");
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  b.tensors["audio_features"] = torch::randn({2, kMels, kMelFrames}, gen);
  auto fm = torch::zeros({2, kMelFrames}, torch::kInt32);
  fm[0].fill_(1);
  fm[1].slice(0, 0, 9).fill_(1);
  b.tensors["audio_feature_attention_mask"] = fm;
  return b;
}

/// A batch of one sample (the reference left-pads B == 1): sample 1 of two_sample_batch.
inline higgs::Batch one_sample_batch() {
  auto two = two_sample_batch();
  higgs::Batch b;
  for (const char* n : {"input_ids", "attention_mask", "label_ids"})
    b.tensors[n] = two.tensors[n].slice(0, 1, 2).clone();
  b.tensors["audio_in_ids"] = two.tensors["audio_in_ids"];
  b.tensors["audio_in_ids_start"] = two.tensors["audio_in_ids_start"];
  b.tensors["audio_out_ids"] = two.tensors["audio_out_ids"].slice(1, 8, 18).clone();
  b.tensors["audio_out_ids_start"] = torch::tensor({0, 6}, torch::kInt64);
  b.tensors["label_audio_ids"] = two.tensors["label_audio_ids"].slice(1, 8, 18).clone();
  b.infos.resize(1);
  return b;
}

inline void write_json(const fs::path& p, const Json& j) { std::ofstream(p) << j.dump(2); }

/// Runs tests/python/higgs_reference.py with `args`; returns its output dict.
inline std::map<std::string, at::Tensor> run_reference(const std::string& args,
                                                       const fs::path& out) {
  const std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                          "/tests/python/higgs_reference.py " + args + " " + out.string();
  const int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("python reference failed: " + cmd);
  return higgs::higgs_audio::read_weights_pickle(out.string());
}

inline std::map<std::string, at::Tensor> batch_tensors(const higgs::Batch& b) {
  return std::map<std::string, at::Tensor>(b.tensors.begin(), b.tensors.end());
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace higgs_test
