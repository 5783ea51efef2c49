#include <torch/torch.h>

#include "components/chatml/chatml_layout.h"

#include <stdexcept>

#include "components/text/text_tokenizer.h"

namespace higgs {
namespace {

void append(ChatMLTokens& t, const std::vector<int64_t>& ids, bool labelled) {
  t.input_ids.insert(t.input_ids.end(), ids.begin(), ids.end());
  if (labelled)
    t.label_ids.insert(t.label_ids.end(), ids.begin(), ids.end());
  else
    t.label_ids.insert(t.label_ids.end(), ids.size(), kIgnoreIndex);
}

}  // namespace

ChatMLTokens prepare_chatml_sample(const ChatMLSample& sample, const TextTokenizer& tok) {
  ChatMLTokens t;
  t.source = sample.source;
  if (sample.speaker) {
    t.speaker = sample.speaker;
  } else if (sample.misc.is_object() && sample.misc.contains("speaker")) {
    const Json& s = sample.misc["speaker"];
    if (!s.is_null()) t.speaker = s.is_string() ? s.get<std::string>() : s.dump();
  }
  const auto n = static_cast<int64_t>(sample.messages.size());
  for (int64_t turn = 0; turn < n; ++turn) {
    const ChatMLMessage& m = sample.messages[turn];
    // Turns before start_index are context only (e.g. the reference audio of voice cloning).
    const bool trainable = !sample.start_index || turn >= *sample.start_index;
    const bool assistant = m.role == "assistant";
    const std::string header = std::string(turn == 0 ? "<|begin_of_text|>" : "") +
                               "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n";
    append(t, tok.encode(header), false);
    if (m.recipient) {
      if (!assistant)
        throw ChatMLError(sample.source + ": messages[" + std::to_string(turn) +
                          "]: only assistant messages may have a recipient");
      // The reference labels the recipient whatever start_index says.
      append(t, tok.encode(*m.recipient + "<|recipient|>"), true);
    }
    for (const ChatMLContent& c : m.content) {
      if (c.is_text()) {
        append(t, tok.encode(c.text), assistant && trainable);
        continue;
      }
      t.audio_contents.push_back(c);
      if (m.role == "user" || m.role == "system")
        append(t, tok.encode("<|audio_bos|><|AUDIO|><|audio_eos|>"), false);
      else if (assistant)
        append(t, tok.encode("<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"), trainable);
      // Other roles: no placeholder, as in the reference (the audio is listed all the same).
    }
    const bool next_is_assistant = turn + 1 < n && sample.messages[turn + 1].role == "assistant";
    append(t, tok.encode(assistant && next_is_assistant ? "<|eom_id|>" : "<|eot_id|>"),
           assistant && trainable);
  }
  return t;
}

Example make_chatml_example(const ChatMLTokens& tokens, const std::vector<at::Tensor>& codes,
                            const std::vector<at::Tensor>& waveforms,
                            const std::vector<int64_t>& sample_rates,
                            const std::vector<int64_t>& speaker_indices) {
  const size_t n = tokens.audio_contents.size();
  if (codes.size() != n)
    throw std::invalid_argument("make_chatml_example: " + std::to_string(codes.size()) +
                                " code tensors for " + std::to_string(n) + " audios");
  if (!waveforms.empty() && (waveforms.size() != n || sample_rates.size() != n))
    throw std::invalid_argument("make_chatml_example: need one waveform and sample rate per audio");
  auto i64 = torch::TensorOptions().dtype(torch::kLong);
  Example ex;
  ex.tensors["input_ids"] = torch::tensor(tokens.input_ids, i64);
  ex.tensors["label_ids"] = torch::tensor(tokens.label_ids, i64);
  std::vector<int64_t> starts;
  int64_t offset = 0, k = codes.empty() ? 0 : codes[0].size(0);
  for (const auto& c : codes) {
    if (c.dim() != 2 || c.size(0) != k)
      throw std::invalid_argument("make_chatml_example: codes must all be (K, T) with the same K");
    starts.push_back(offset);
    offset += c.size(1);
  }
  ex.tensors["audio_ids_concat"] =
      codes.empty() ? torch::zeros({0, 0}, i64) : torch::cat(codes, 1).to(torch::kLong);
  ex.tensors["audio_ids_start"] = torch::tensor(starts, i64);
  std::vector<int64_t> wv_starts;
  offset = 0;
  for (const auto& w : waveforms) {
    wv_starts.push_back(offset);
    offset += w.numel();
  }
  ex.tensors["audio_waveforms_concat"] =
      waveforms.empty() ? torch::zeros({0}) : torch::cat(waveforms, 0).to(torch::kFloat);
  ex.tensors["audio_waveforms_start"] = torch::tensor(wv_starts, i64);
  ex.tensors["audio_sample_rate"] = torch::tensor(sample_rates, i64);
  std::vector<int64_t> spk = speaker_indices;
  if (spk.empty()) spk.assign(n, -1);
  ex.tensors["audio_speaker_indices"] = torch::tensor(spk, i64);
  if (!tokens.source.empty()) ex.info["source"] = tokens.source;
  if (tokens.speaker) ex.info["speaker"] = *tokens.speaker;
  return ex;
}

}  // namespace higgs
