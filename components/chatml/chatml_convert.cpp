// Layout conversion and text rewriting of ChatML samples (declared in chatml.h).
#include <sstream>
#include <utility>

#include "components/chatml/chatml.h"

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
  out.language = s.language;
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

namespace {
void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
}  // namespace

std::string normalize_transcript(const std::string& input) {
  static const std::pair<const char*, const char*> kPunct[] = {
      {"，", ", "}, {"。", "."}, {"：", ":"},  {"；", ";"},  {"？", "?"},  {"！", "!"},
      {"（", "("},  {"）", ")"}, {"【", "["},  {"】", "]"},  {"《", "<"},  {"》", ">"},
      {"“", "\""},  {"”", "\""}, {"‘", "'"},   {"’", "'"},   {"、", ","},  {"—", "-"},
      {"…", "..."}, {"·", "."},  {"「", "\""}, {"」", "\""}, {"『", "\""}, {"』", "\""}};
  std::string text = input;
  for (const auto& [from, to] : kPunct) replace_all(text, from, to);
  replace_all(text, "(", " ");
  replace_all(text, ")", " ");
  replace_all(text, "°F", " degrees Fahrenheit");
  replace_all(text, "°C", " degrees Celsius");
  text = rewrite_sound_events(std::move(text));
  // Python's str.split() also splits on these Unicode spaces.
  for (const char* u : {"\u00a0", "\u2002", "\u2003", "\u2009", "\u3000"})
    replace_all(text, u, " ");
  // Drop blank lines and collapse whitespace inside each line.
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::string collapsed;
    bool pending_space = false;
    for (char c : line) {
      if (is_space(c)) {
        pending_space = !collapsed.empty();
        continue;
      }
      if (pending_space) collapsed += ' ';
      pending_space = false;
      collapsed += c;
    }
    if (collapsed.empty()) continue;
    if (!out.empty()) out += '\n';
    out += collapsed;
  }
  static const char* kEnds[] = {".", "!", "?", ",", ";", "\"", "'", "</SE_e>", "</SE>"};
  for (const char* e : kEnds) {
    const std::string end = e;
    if (out.size() >= end.size() && out.compare(out.size() - end.size(), end.size(), end) == 0)
      return out;
  }
  return out + ".";
}

void rewrite_sound_events(ChatMLSample& s) {
  for (auto& m : s.messages) {
    if (m.role != "user" && m.role != "assistant") continue;
    for (auto& c : m.content)
      if (c.is_text()) c.text = rewrite_sound_events(std::move(c.text));
  }
}

}  // namespace higgs
