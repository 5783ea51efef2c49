#include "components/generation/prompt.h"

#include <sstream>
#include <stdexcept>

namespace higgs::generation {

namespace {
const char* kInstruction = "Generate audio following instruction.";

ChatMLMessage text_message(const std::string& role, const std::string& text) {
  ChatMLMessage m;
  m.role = role;
  m.content.push_back(ChatMLContent::make_text(text));
  return m;
}

ChatMLMessage audio_message(const std::string& role) {
  ChatMLMessage m;
  m.role = role;
  m.content.push_back(ChatMLContent::make_audio("generated"));
  return m;
}
}  // namespace

std::string scene_system_text(const std::string& scene) {
  if (scene.empty()) return kInstruction;
  return std::string(kInstruction) + "\n\n<|scene_desc_start|>\n" + scene + "\n<|scene_desc_end|>";
}

Prompt build_prompt(const PromptSpec& spec) {
  Prompt p;
  p.sample.source = "generation prompt";
  auto& msgs = p.sample.messages;
  const size_t n_ref = spec.references.size();
  for (const auto& r : spec.references)
    if (!r.codes.defined() || r.codes.dim() != 2)
      throw std::invalid_argument("generation prompt: every reference needs codes (K, T)");
  if (spec.reference_in_system) {
    if (n_ref == 0)
      throw std::invalid_argument("reference_in_system needs at least one reference audio");
    // "…<|scene_desc_start|>\n{scene}\n\nSPEAKER0: <AUDIO>\n…<|scene_desc_end|>", each <AUDIO>
    // an audio item of the system message (audio-in codes).
    ChatMLMessage sys;
    sys.role = "system";
    std::string head = std::string(kInstruction) + "\n\n<|scene_desc_start|>\n";
    if (!spec.scene.empty()) head += spec.scene + "\n\n";
    for (size_t i = 0; i < n_ref; ++i) {
      head += (i ? "\n" : "") + std::string("SPEAKER") + std::to_string(i) + ": ";
      sys.content.push_back(ChatMLContent::make_text(head));
      sys.content.push_back(ChatMLContent::make_audio("reference"));
      p.codes.push_back(spec.references[i].codes);
      head.clear();
    }
    sys.content.push_back(ChatMLContent::make_text("\n<|scene_desc_end|>"));
    msgs.push_back(std::move(sys));
  } else {
    const bool scene_message =
        spec.system_prompt ? !spec.system_prompt->empty() : !spec.scene.empty();
    if (scene_message)
      msgs.push_back(
          text_message("system", spec.system_prompt.value_or(scene_system_text(spec.scene))));
    for (size_t i = 0; i < n_ref; ++i) {
      const auto& r = spec.references[i];
      // Several reference speakers are told apart by a tag, as generation.py does.
      msgs.push_back(text_message(
          "user", n_ref > 1 ? "[SPEAKER" + std::to_string(i) + "] " + r.text : r.text));
      msgs.push_back(audio_message("assistant"));
      p.codes.push_back(r.codes);
    }
  }
  for (const auto& [text, codes] : spec.history) {
    msgs.push_back(text_message("user", text));
    msgs.push_back(audio_message("assistant"));
    p.codes.push_back(codes);
  }
  msgs.push_back(text_message("user", spec.text));
  return p;
}

std::string generation_postfix(bool force_audio) {
  return std::string("<|start_header_id|>assistant<|end_header_id|>\n\n") +
         (force_audio ? "<|audio_out_bos|>" : "");
}

std::vector<std::string> split_text_chunks(const std::string& text, int64_t max_words) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  if (max_words <= 0 || static_cast<int64_t>(words.size()) <= max_words) return {text};
  auto ends_sentence = [](const std::string& w) {
    for (const char* e : {".", "!", "?", "\xe3\x80\x82", "\xef\xbc\x81", "\xef\xbc\x9f"}) {
      const std::string s(e);
      if (w.size() >= s.size() && w.compare(w.size() - s.size(), s.size(), s) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> chunks;
  size_t i = 0;
  while (i < words.size()) {
    size_t end = std::min(words.size(), i + static_cast<size_t>(max_words));
    if (end < words.size())
      for (size_t j = end; j > i + 1; --j)
        if (ends_sentence(words[j - 1])) {
          end = j;
          break;
        }
    std::string c;
    for (size_t j = i; j < end; ++j) c += (j > i ? " " : "") + words[j];
    chunks.push_back(c);
    i = end;
  }
  return chunks;
}

}  // namespace higgs::generation
