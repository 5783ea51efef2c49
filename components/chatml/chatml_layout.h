// Token layout of a ChatML sample: the exact equivalent of the reference's
// prepare_chatml_sample (boson_multimodal/dataset/chatml_dataset.py). Label rules are documented
// in docs/data-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/chatml/chatml.h"
#include "framework/train/types.h"

namespace higgs {

class TextTokenizer;

/// Label value of tokens that carry no loss.
constexpr int64_t kIgnoreIndex = -100;

/// Tokens of one sample; audio_contents are in the order of their placeholders.
struct ChatMLTokens {
  std::vector<int64_t> input_ids, label_ids;
  std::vector<ChatMLContent> audio_contents;
  std::optional<std::string> speaker;  // sample.speaker, else misc["speaker"]
  std::string source;                  // sample.source ("data.jsonl:12"), for messages
};

/// Tokenizes a sample exactly as prepare_chatml_sample does: every piece (header, recipient, text,
/// audio placeholders, postfix) is encoded separately without added special tokens. Text is
/// labelled only in assistant turns with turn >= start_index; audio-out placeholders and the
/// postfix likewise; headers, user/system text and audio-in placeholders never.
ChatMLTokens prepare_chatml_sample(const ChatMLSample& sample, const TextTokenizer& tokenizer);

/// Builds the per-sample tensors the higgs_audio collator reads (ChatMLDatasetSample fields):
/// input_ids, label_ids, audio_ids_concat (K, sum T), audio_ids_start, audio_waveforms_concat,
/// audio_waveforms_start, audio_sample_rate, audio_speaker_indices. `codes[i]` (K, T_i) belongs
/// to audio_contents[i]; `waveforms` may be empty (no Whisper features) or one per audio.
Example make_chatml_example(const ChatMLTokens& tokens, const std::vector<at::Tensor>& codes,
                            const std::vector<at::Tensor>& waveforms = {},
                            const std::vector<int64_t>& sample_rates = {},
                            const std::vector<int64_t>& speaker_indices = {});

}  // namespace higgs
