// Shared fixture of the higgs_audio tests: a tiny tokenizer config, random weights written by the
// independent Python reference (tests/python/higgs_audio_tokenizer_ref.py) and its results.
#pragma once

#include <torch/torch.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "components/audio_tokenizers/higgs_audio/tokenizer.h"

namespace higgs_audio_test {

namespace ha = higgs::higgs_audio;

inline const char* kTinyConfig = R"({
  "n_filters": 32, "D": 16, "codebook_dim": 8, "ratios": [8, 5, 4, 2, 3],
  "sample_rate": 24000, "bins": 64, "n_q": 4, "target_bandwidths": [0.5, 1, 1.5, 2, 4],
  "semantic_techer": "hubert_base_general", "acoustic_encoder_dim": 4,
  "acoustic_decoder_dim": 64, "semantic_hidden_size": 32, "semantic_num_layers": 2,
  "semantic_num_heads": 4, "semantic_intermediate_size": 64,
  "semantic_conv_dim": [16, 16, 16, 16, 16, 16, 16], "semantic_pos_conv_kernel": 16,
  "semantic_pos_conv_groups": 4})";

/// Another small config: other strides (same hop), uneven HuBERT conv widths, odd pos kernel.
inline const char* kOddConfig = R"({
  "D": 8, "codebook_dim": 4, "ratios": [4, 4, 4, 3, 5], "bins": 16, "n_q": 3,
  "acoustic_encoder_dim": 2, "acoustic_decoder_dim": 64, "semantic_hidden_size": 24,
  "semantic_num_layers": 1, "semantic_num_heads": 2, "semantic_intermediate_size": 40,
  "semantic_conv_dim": [8, 12, 16, 16, 16, 16, 10], "semantic_pos_conv_kernel": 15,
  "semantic_pos_conv_groups": 4})";

/// A plain dict of tensors saved by Python torch.save (test-only exchange format).
inline ha::TensorMap read_pickled_dict(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ha::TensorMap out;
  for (const auto& kv : torch::pickle_load(bytes).toGenericDict())
    out.emplace(kv.key().toStringRef(), kv.value().toTensor());
  return out;
}

inline std::string temp_dir(const std::string& tag) {
  auto d = std::filesystem::temp_directory_path() /
           ("higgs_audio_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

struct TinyFixture {
  std::string dir;
  ha::TokenizerConfig config;
  ha::TensorMap weights;  // released names, written by Python
  ha::TensorMap results;  // Python's outputs on the same weights
};

inline TinyFixture make_fixture(const std::string& tag, const char* config) {
  TinyFixture f;
  f.dir = temp_dir(tag);
  std::ofstream(f.dir + "/config.json") << config;
  f.config = ha::TokenizerConfig::from_file(f.dir + "/config.json");
  const std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                          "/tests/python/higgs_audio_tokenizer_ref.py " + f.dir + "/config.json " +
                          f.dir + " 3";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  f.weights = read_pickled_dict(f.dir + "/weights.pth");
  f.results = read_pickled_dict(f.dir + "/results.pth");
  return f;
}

struct TempDirCleanup {
  std::string dir;
  ~TempDirCleanup() { std::filesystem::remove_all(dir); }
};

/// Built once per test run: the Python reference on kTinyConfig with seed 3.
inline const TinyFixture& tiny_fixture() {
  static const TinyFixture fx = make_fixture("tiny", kTinyConfig);
  static const TempDirCleanup cleanup{fx.dir};
  return fx;
}

/// The same for kOddConfig.
inline const TinyFixture& odd_fixture() {
  static const TinyFixture fx = make_fixture("odd", kOddConfig);
  static const TempDirCleanup cleanup{fx.dir};
  return fx;
}

/// max |a - b| / max(1, max |b|).
inline double rel_err(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return 1e30;
  double scale = std::max(1.0, b.abs().max().item<double>());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>() / scale;
}

}  // namespace higgs_audio_test
