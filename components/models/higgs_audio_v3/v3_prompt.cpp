#include <torch/torch.h>

#include "components/models/higgs_audio_v3/v3_prompt.h"

#include <stdexcept>

#include "components/text/text_tokenizer.h"

namespace higgs::higgs_audio_v3 {

V3PromptTokens V3PromptTokens::from(const TextTokenizer& tok) {
  V3PromptTokens t;
  std::string missing;
  auto need = [&](const char* name, int64_t& out) {
    if (auto id = tok.token_to_id(name))
      out = *id;
    else
      missing += std::string(missing.empty() ? "" : ", ") + name;
  };
  need("<|tts|>", t.tts);
  need("<|text|>", t.text);
  need("<|audio|>", t.audio);
  need("<|ref_audio|>", t.ref_audio);
  if (!missing.empty())
    throw std::invalid_argument("the text tokenizer lacks Higgs Audio v3's prompt tokens " +
                                missing + ": give the v3 checkpoint's tokenizer.json");
  t.ref_text = tok.token_to_id("<|ref_text|>");
  return t;
}

std::vector<int64_t> v3_prompt(const V3PromptTokens& ids, const TextTokenizer& tok,
                               const std::string& text, int64_t reference_rows,
                               const std::optional<std::string>& reference_text) {
  if (reference_rows < 0) throw std::invalid_argument("reference_rows must be >= 0");
  std::vector<int64_t> out{ids.tts};
  auto append = [&](const std::vector<int64_t>& v) { out.insert(out.end(), v.begin(), v.end()); };
  if (reference_rows > 0 && reference_text && !reference_text->empty() && ids.ref_text) {
    out.push_back(*ids.ref_text);
    append(tok.encode(*reference_text));
  }
  if (reference_rows > 0) {
    out.push_back(ids.ref_audio);
    out.insert(out.end(), static_cast<size_t>(reference_rows), kAudioPlaceholder);
  }
  out.push_back(ids.text);
  append(tok.encode(text));
  out.push_back(ids.audio);
  return out;
}

at::Tensor v3_delay(const at::Tensor& codes) {
  if (codes.dim() != 2) throw std::invalid_argument("v3_delay: codes must be (K, T)");
  const int64_t k = codes.size(0), t = codes.size(1);
  auto out = torch::full({k, t + k - 1}, kEoc, codes.options());
  for (int64_t c = 0; c < k; ++c) {
    if (c > 0) out[c].narrow(0, 0, c).fill_(kBoc);
    out[c].narrow(0, c, t).copy_(codes[c]);
  }
  return out;
}

at::Tensor v3_undelay(const at::Tensor& delayed) {
  if (delayed.dim() != 2 || delayed.size(1) < delayed.size(0))
    throw std::invalid_argument("v3_undelay: delayed rows must be (K, L) with L >= K");
  const int64_t k = delayed.size(0), t = delayed.size(1) - k + 1;
  auto out = torch::empty({k, t}, delayed.options());
  for (int64_t c = 0; c < k; ++c) out[c].copy_(delayed[c].narrow(0, c, t));
  return out;
}

}  // namespace higgs::higgs_audio_v3
