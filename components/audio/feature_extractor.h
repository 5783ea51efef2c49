// Kind `feature_extractor`: features computed from audio for the model (e.g. Whisper log-mel).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs {

/// Features computed from audio for the model (e.g. Whisper log-mel).
class FeatureExtractor {
 public:
  static constexpr const char* kKind = "feature_extractor";
  virtual ~FeatureExtractor() = default;
  virtual int64_t sample_rate() const = 0;  // 16000 for Whisper
  /// Features of a batch of mono waveforms at sample_rate(): {features (N, n_mels, frames),
  /// attention_mask (N, frames)}.
  virtual std::pair<at::Tensor, at::Tensor> extract(
      const std::vector<at::Tensor>& waveforms) const = 0;
  /// Longest waveform (in samples at sample_rate()) one feature window holds (30 s for Whisper).
  virtual int64_t chunk_samples() const = 0;
};

}  // namespace higgs
