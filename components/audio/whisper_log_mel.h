// feature_extractor `whisper_log_mel`: Whisper's log-mel spectrogram, computed exactly as
// Hugging Face's WhisperFeatureExtractor (numpy path, padding="max_length") computes it.
//
//   feature_extractor: { type: "whisper_log_mel", n_mels: 128 }   // whisper-large-v3(-turbo)
//   feature_extractor: { type: "whisper_log_mel", n_mels: 80 }    // whisper v1/v2 sizes
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio/audio_tokenizer.h"
#include "components/audio/feature_extractor.h"

namespace higgs {

class Binder;

/// Slaney-scale, Slaney-normalised triangular mel filters (n_mels, n_fft/2+1), float64; the same
/// matrix as transformers' mel_filter_bank(norm="slaney", mel_scale="slaney") and librosa's
/// filters.mel(htk=False, norm="slaney").
at::Tensor slaney_mel_filters(int64_t n_mels, int64_t n_fft, int64_t sample_rate, double f_min,
                              double f_max);

class WhisperLogMel : public FeatureExtractor {
 public:
  struct Options {
    int64_t n_mels = 128;
    int64_t sample_rate = 16000;
    int64_t n_fft = 400;
    int64_t hop_length = 160;
    int64_t chunk_seconds = 30;
    double f_max = 8000.0;
    std::string precision = "float64";
  };
  static void bind(Binder& b, Options& o);

  explicit WhisperLogMel(const Options& options);
  WhisperLogMel();

  int64_t sample_rate() const override { return opt_.sample_rate; }
  int64_t chunk_samples() const override { return opt_.chunk_seconds * opt_.sample_rate; }
  /// Feature frames per window: chunk_samples / hop_length (3000).
  int64_t frames() const { return chunk_samples() / opt_.hop_length; }
  int64_t n_mels() const { return opt_.n_mels; }

  /// Each waveform (1-D, or (1, T); any float dtype) is zero-padded or truncated to
  /// chunk_samples(). Returns features (N, n_mels, frames) float32 and attention_mask
  /// (N, frames) int32 with 1 where frame i starts inside the real samples (i*hop < length).
  /// An empty batch gives (0, n_mels, frames) and (0, frames).
  std::pair<at::Tensor, at::Tensor> extract(
      const std::vector<at::Tensor>& waveforms) const override;

 private:
  template <class T>
  at::Tensor mel_power(const at::Tensor& spec, int64_t nf) const;

  Options opt_;
  std::vector<std::pair<int64_t, int64_t>> band_;  // non-zero bins [begin, end) of each filter
  at::Tensor filters_;                             // (n_mels, n_fft/2+1) float64
  at::Tensor window_;                              // periodic Hann, float64
};

}  // namespace higgs
