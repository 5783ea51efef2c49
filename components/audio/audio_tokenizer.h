// Kind `audio_tokenizer`: audio to discrete codes and back.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "framework/train/run_settings.h"

namespace higgs {

/// Audio to discrete codes (num_codebooks, T) and back.
class AudioTokenizer {
 public:
  static constexpr const char* kKind = "audio_tokenizer";
  /// Its device follows the recipe's (on this process's GPU under torchrun).
  using Args = RunSettings;
  virtual ~AudioTokenizer() = default;
  virtual int64_t sample_rate() const = 0;    // 24000 for Higgs
  virtual int64_t num_codebooks() const = 0;  // 8
  virtual int64_t codebook_size() const = 0;  // 1024
  virtual int64_t hop_length() const = 0;     // samples per frame (960)
  /// Frames encode() gives for `samples` samples at sample_rate() (what a sampler counts before
  /// encoding); by default ceil(samples / hop_length()).
  virtual int64_t num_frames(int64_t samples) const;
  /// Encodes a mono float waveform at sample_rate() to int64 codes (num_codebooks, T).
  virtual at::Tensor encode(const at::Tensor& waveform) = 0;
  /// Encodes several waveforms together where the implementation can batch.
  virtual std::vector<at::Tensor> encode_batch(const std::vector<at::Tensor>& waveforms);
  /// Decodes codes (num_codebooks, T) to a mono float waveform at sample_rate().
  virtual at::Tensor decode(const at::Tensor& codes) = 0;
  /// Identity of config + weights, used to key the code cache.
  virtual std::string identity() const = 0;
};

}  // namespace higgs
