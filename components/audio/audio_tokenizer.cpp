#include "components/audio/audio_tokenizer.h"

#include "framework/registry/registry.h"

namespace higgs {

std::vector<at::Tensor> AudioTokenizer::encode_batch(const std::vector<at::Tensor>& waveforms) {
  std::vector<at::Tensor> out;
  out.reserve(waveforms.size());
  for (const auto& w : waveforms) out.push_back(encode(w));
  return out;
}

HIGGS_DECLARE_KIND(AudioTokenizer, 30, "Turns audio into discrete codes and back.",
                   {"audio_tokenizer"});

}  // namespace higgs
