// The Higgs Audio v3 TTS prompt and its delay pattern (no ChatML, no system prompt):
//
//   <|tts|> [<|ref_text|> reference transcript] [<|ref_audio|> -100 x (T_ref + K - 1)]
//   <|text|> target text <|audio|>   then the delayed target codes
//
// Verified by reading the serving port sgl-project/sglang-omni (sglang_omni/models/higgs_tts/
// text_tokenizer.py and codebook_layout.py, commits 1905877 and 3b7f35c): the same layout, -100
// placeholders for the delayed reference rows, codebook c shifted by c rows with BOC (1024)
// before its span and EOC (1025) after, so T frames become T + K - 1 rows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs {

class TextTokenizer;

namespace higgs_audio_v3 {

/// The audio placeholder of v3's prompt: its config's audio_token_id, -100, which is also the
/// ignore index of a labels tensor (a collator must not build labels from input ids naively).
inline constexpr int64_t kAudioPlaceholder = -100;
inline constexpr int64_t kBoc = 1024, kEoc = 1025;

/// The prompt's special tokens in a v3 tokenizer; a RecipeError-style std::invalid_argument names
/// every one the tokenizer lacks. <|ref_text|> is optional (older checkpoints have none).
struct V3PromptTokens {
  int64_t tts = 0, text = 0, audio = 0, ref_audio = 0;
  std::optional<int64_t> ref_text;
  static V3PromptTokens from(const TextTokenizer& tok);
};

/// The prompt's ids. `reference_rows` > 0: a voice-cloning prompt with that many placeholders
/// (the delayed reference's rows, T_ref + K - 1); `reference_text` joins it when given and the
/// tokenizer has <|ref_text|>. 0: zero-shot without a reference.
std::vector<int64_t> v3_prompt(const V3PromptTokens& ids, const TextTokenizer& tok,
                               const std::string& text, int64_t reference_rows = 0,
                               const std::optional<std::string>& reference_text = std::nullopt);

/// Codes (K, T) to the delayed rows (K, T + K - 1): codebook c holds BOC in its first c rows, its
/// codes in rows c .. c + T - 1, EOC after.
at::Tensor v3_delay(const at::Tensor& codes);
/// The inverse: delayed (K, L), L >= K, to codes (K, L - K + 1).
at::Tensor v3_undelay(const at::Tensor& delayed);

}  // namespace higgs_audio_v3
}  // namespace higgs
