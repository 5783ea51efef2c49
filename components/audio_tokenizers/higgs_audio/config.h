// Configuration of the Higgs audio tokenizer (xcodec-style: DAC acoustic encoder + HuBERT
// semantic teacher + RVQ), read from the released checkpoint's config.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace higgs::higgs_audio {

/// Every size the tokenizer is built from. The first block is the released config.json; the
/// second block is hard-coded in the reference code and may be set in config.json only to build
/// small tokenizers for tests and demos. Defaults are the released checkpoint.
struct TokenizerConfig {
  int64_t n_filters = 32;  // read for compatibility; the reference never uses it
  int64_t D = 256;         // acoustic latent channels
  int64_t codebook_dim = 64;
  std::vector<int64_t> ratios = {8, 5, 4, 2, 3};
  int64_t sample_rate = 24000;
  int64_t bins = 1024;  // codewords per codebook
  int64_t n_q = 8;      // codebooks
  std::vector<double> target_bandwidths = {0.5, 1, 1.5, 2, 4};

  int64_t acoustic_encoder_dim = 64;    // dac.Encoder(64, ...) in the reference
  int64_t acoustic_decoder_dim = 1024;  // dac.Decoder(D, 1024, ...) in the reference
  int64_t semantic_sample_rate = 16000;
  int64_t semantic_hidden_size = 768;
  int64_t semantic_num_layers = 12;
  int64_t semantic_num_heads = 12;
  int64_t semantic_intermediate_size = 3072;
  std::vector<int64_t> semantic_conv_dim = {512, 512, 512, 512, 512, 512, 512};
  std::vector<int64_t> semantic_conv_kernel = {10, 3, 3, 3, 3, 2, 2};
  std::vector<int64_t> semantic_conv_stride = {5, 2, 2, 2, 2, 2, 2};
  int64_t semantic_pos_conv_kernel = 128;
  int64_t semantic_pos_conv_groups = 16;
  double semantic_layer_norm_eps = 1e-5;

  /// Samples per code frame: product of `ratios` (960).
  int64_t hop_length() const;
  /// Samples at semantic_sample_rate per HuBERT frame: product of the conv strides (320).
  int64_t semantic_hop() const;
  /// HuBERT frames per code frame: hop / (sr / semantic_sr) / semantic_hop (2), as the reference.
  int64_t semantic_downsample_factor() const;
  /// Width of the vector the RVQ quantizes: D + semantic hidden size (1024).
  int64_t quantizer_dim() const { return D + semantic_hidden_size; }

  /// Throws std::invalid_argument naming `source` when sizes are inconsistent.
  void validate(const std::string& source) const;
  /// Canonical JSON text with every field (used for the identity hash and to write tiny configs).
  std::string to_json() const;

  /// Parses config.json text. Unknown keys are errors; `source` names the file in messages.
  static TokenizerConfig from_json(const std::string& text, const std::string& source);
  static TokenizerConfig from_file(const std::string& path);
};

}  // namespace higgs::higgs_audio
