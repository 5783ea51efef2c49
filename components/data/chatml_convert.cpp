// Layout conversion and text rewriting of ChatML samples (declared in chatml.h).
#include <utility>

#include "components/data/chatml.h"

namespace higgs {
namespace {

[[noreturn]] void fail(const ChatMLSample& s, const std::string& what) {
  throw ChatMLError((s.source.empty() ? std::string("sample") : s.source) + ": " + what);
}

bool has_audio(const ChatMLMessage& m) {
  for (const auto& c : m.content)
    if (c.is_audio()) return true;
  return false;
}

ChatMLMessage text_message(std::string role, std::string text) {
  ChatMLMessage m;
  m.role = std::move(role);
  m.content.push_back(ChatMLContent::make_text(std::move(text)));
  return m;
}

std::string strip_instruction(const std::string& text, const std::string& prefix) {
  if (prefix.empty() || text.compare(0, prefix.size(), prefix) != 0) return text;
  auto colon = text.find(':');
  if (colon == std::string::npos) return text;
  size_t b = text.find_first_not_of(" \t\n", colon + 1);
  return b == std::string::npos ? "" : text.substr(b);
}

}  // namespace

ChatMLSample to_zero_shot_layout(const ChatMLSample& s, const ZeroShotLayoutOptions& opts) {
  std::vector<ChatMLMessage> system, rest;
  for (const auto& m : s.messages) {
    if (m.role == "system" && rest.empty())
      system.push_back(m);
    else
      rest.push_back(m);
  }
  if (opts.system_prompt) {
    system.clear();
    if (!opts.system_prompt->empty()) system.push_back(text_message("system", *opts.system_prompt));
  } else if (!opts.scene.empty()) {
    system.clear();
    system.push_back(
        text_message("system", "Generate audio following instruction.\n\n<|scene_desc_start|>\n" +
                                   opts.scene + "\n<|scene_desc_end|>"));
  }

  ChatMLSample out;
  out.speaker = s.speaker;
  out.misc = s.misc;
  out.source = s.source;
  out.messages = system;

  bool compact = false;
  for (const auto& m : rest)
    if (m.role == "user" && has_audio(m)) compact = true;

  if (compact) {
    // Compact layout of earlier trainers: user [ref text, ref audio, target text], assistant audio.
    if (rest.size() != 2 || rest[0].role != "user" || rest[1].role != "assistant")
      fail(s,
           "compact voice-cloning layout expects one user message [reference text, reference "
           "audio, target text] followed by one assistant message with the target audio; got " +
               std::to_string(rest.size()) + " non-system messages");
    const auto& c = rest[0].content;
    if (c.size() != 3 || !c[0].is_text() || !c[1].is_audio() || !c[2].is_text())
      fail(s,
           "compact voice-cloning layout: the user content must be exactly [text (reference "
           "transcript), audio (reference), text (target)]");
    if (!has_audio(rest[1])) fail(s, "no target audio: the assistant message has no audio content");
    out.messages.push_back(text_message("user", c[0].text));
    ChatMLMessage ref;
    ref.role = "assistant";
    ref.content.push_back(c[1]);
    out.messages.push_back(std::move(ref));
    out.messages.push_back(
        text_message("user", strip_instruction(c[2].text, opts.strip_instruction_prefix)));
    out.messages.push_back(rest[1]);
    out.start_index = static_cast<int64_t>(out.messages.size()) - 1;
    return out;
  }

  // Already in the inference layout: keep the turns, put start_index on the final assistant turn.
  for (auto& m : rest) out.messages.push_back(std::move(m));
  int64_t last_assistant = -1;
  for (size_t i = 0; i < out.messages.size(); ++i)
    if (out.messages[i].role == "assistant") last_assistant = static_cast<int64_t>(i);
  if (last_assistant < 0 || last_assistant + 1 != static_cast<int64_t>(out.messages.size()) ||
      !has_audio(out.messages[last_assistant]))
    fail(s, "no target audio: the last message must be an assistant message with the target audio");
  if (s.start_index) {
    // Indices move when the system message is added or removed.
    int64_t shift =
        static_cast<int64_t>(out.messages.size()) - static_cast<int64_t>(s.messages.size());
    out.start_index = *s.start_index + shift;
  } else {
    out.start_index = last_assistant;
  }
  return out;
}

std::string rewrite_sound_events(std::string text) {
  // Order matters: "[music start]" must be replaced before "[music]" (examples/generation.py).
  static const std::pair<const char*, const char*> kTags[] = {
      {"[laugh]", "<SE>[Laughter]</SE>"},
      {"[humming start]", "<SE_s>[Humming]</SE_s>"},
      {"[humming end]", "<SE_e>[Humming]</SE_e>"},
      {"[music start]", "<SE_s>[Music]</SE_s>"},
      {"[music end]", "<SE_e>[Music]</SE_e>"},
      {"[music]", "<SE>[Music]</SE>"},
      {"[sing start]", "<SE_s>[Singing]</SE_s>"},
      {"[sing end]", "<SE_e>[Singing]</SE_e>"},
      {"[applause]", "<SE>[Applause]</SE>"},
      {"[cheering]", "<SE>[Cheering]</SE>"},
      {"[cough]", "<SE>[Cough]</SE>"},
  };
  for (const auto& [tag, replacement] : kTags) {
    const std::string t = tag, r = replacement;
    for (size_t pos = text.find(t); pos != std::string::npos; pos = text.find(t, pos + r.size()))
      text.replace(pos, t.size(), r);
  }
  return text;
}

void rewrite_sound_events(ChatMLSample& s) {
  for (auto& m : s.messages) {
    if (m.role != "user" && m.role != "assistant") continue;
    for (auto& c : m.content)
      if (c.is_text()) c.text = rewrite_sound_events(std::move(c.text));
  }
}

}  // namespace higgs
