#include "components/audio/audio_tokenizer.h"

#include "framework/registry/registry.h"

namespace higgs {

int64_t AudioTokenizer::num_frames(int64_t samples) const {
  const int64_t hop = hop_length();
  return samples <= 0 ? 0 : (samples + hop - 1) / hop;
}

std::vector<at::Tensor> AudioTokenizer::encode_batch(const std::vector<at::Tensor>& waveforms) {
  std::vector<at::Tensor> out;
  out.reserve(waveforms.size());
  for (const auto& w : waveforms) out.push_back(encode(w));
  return out;
}

HIGGS_DECLARE_KIND(AudioTokenizer, 30, "Turns audio into discrete codes and back.",
                   {"audio_tokenizer"});

}  // namespace higgs
