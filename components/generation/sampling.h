// Token selection for Higgs Audio decoding, as the reference configures transformers' sampling:
// temperature, then top-k, then top-p (nucleus) on the logits, then a multinomial draw (argmax
// when temperature is 0), plus repetition-aware sampling (RAS) for audio codes.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace higgs::generation {

struct SamplingOptions {
  double temperature = 1.0;    // <= 0: greedy (argmax)
  int64_t top_k = 50;          // 0: off
  double top_p = 0.95;         // >= 1: off
  int64_t ras_window = 7;      // RAS: look at the last N frames of each codebook; 0: off
  int64_t ras_max_repeat = 2;  // resample a code already seen this many times in the window
};

/// Logits (..., V) after temperature, top-k and top-p (removed entries are -inf).
at::Tensor process_logits(const at::Tensor& logits, const SamplingOptions& o);

class Sampler {
 public:
  Sampler(SamplingOptions o, uint64_t seed);
  const SamplingOptions& options() const { return o_; }

  /// One text token from logits (V).
  int64_t sample_text(const at::Tensor& logits);
  /// One code per codebook from audio logits (K, C). `recent` (K, w) holds the last columns of
  /// the audio-out stream (RAS window; may have fewer than ras_window columns or be undefined):
  /// a code seen at least ras_max_repeat times there is redrawn from softmax(raw logits), as the
  /// reference does (also when decoding greedily).
  std::vector<int64_t> sample_audio(const at::Tensor& logits, const at::Tensor& recent);

 private:
  at::Tensor draw(const at::Tensor& scores);  // (..., V) processed scores -> (...) ids
  SamplingOptions o_;
  at::Generator gen_;
};

}  // namespace higgs::generation
