#include "components/audio/audio_tokenizer.h"

namespace higgs {

std::vector<at::Tensor> AudioTokenizer::encode_batch(const std::vector<at::Tensor>& waveforms) {
  std::vector<at::Tensor> out;
  out.reserve(waveforms.size());
  for (const auto& w : waveforms) out.push_back(encode(w));
  return out;
}

}  // namespace higgs
