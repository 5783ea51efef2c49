// The audio-mode state machine of Higgs Audio decoding with the delay pattern (spec 2.4; the
// reference's _sample_audio_tokens): a forced all-BOS first frame, a ramp-in where codebooks not
// yet started are forced to BOS, and a ramp-out that starts when a codebook samples EOS, forces
// the lower codebooks to EOS and ends the audio (<|audio_eos|>) after the remaining delays.
// Plain integers, no torch: the sampler hands in each sampled frame.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace higgs::generation {

class DelayPatternState {
 public:
  /// `num_codebooks` K, stream `bos`/`eos` ids; without the delay pattern no cell is forced and
  /// the audio ends at the first frame whose codebook 0 is EOS.
  DelayPatternState(int64_t num_codebooks, int64_t bos, int64_t eos, bool use_delay_pattern = true);

  /// The forced first frame of an audio segment (all BOS); resets the ramp counters.
  std::vector<int64_t> start();
  /// Applies the forcing rules to a sampled frame in place. Returns true when this frame is the
  /// last one of the segment (the text token after it is <|audio_eos|>).
  bool apply(std::vector<int64_t>& frame);

  int64_t num_delay() const { return num_delay_; }
  std::optional<int64_t> remaining_delays() const { return remaining_; }

 private:
  int64_t k_, bos_, eos_;
  bool delay_;
  int64_t num_delay_ = 0;
  std::optional<int64_t> remaining_;
};

}  // namespace higgs::generation
