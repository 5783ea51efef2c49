// The ChatML samples the referee tests share: twelve layouts, each with three pairs of texts (36).
#pragma once

#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs_referee {

using higgs::Json;

inline const std::vector<std::string> kTexts = {
    "Hello there, how are you today?",
    "Grüße aus München – schön, dich zu hören!",
    "你好，世界。今天天气很好，我们去公园吧。",
    "こんにちは、元気ですか？",
    "مرحبا بالعالم، كيف حالك؟",
    "Emoji time 🎉🔥👍🏽 and a family 👨‍👩‍👧!",
    "  leading and trailing spaces  ",
    "Line one.\nLine two.\n\nLine four.",
    "Numbers 1234567 and 3.14159; a URL http://x.y/z?a=b&c=d",
    "Sound <SE>[Laughter]</SE> tags and <|scene_desc_start|> inline",
    "",
    "It's a test—isn't it? \"Quotes\" and 'apostrophes'.",
};

inline Json text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
inline Json audio(const std::string& url) { return {{"type", "audio"}, {"audio_url", url}}; }
inline Json msg(const std::string& role, Json content) {
  return {{"role", role}, {"content", std::move(content)}};
}

inline const std::string kScene =
    "Generate audio following instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a quiet "
    "room.\n<|scene_desc_end|>";

// Twelve layouts; each is used with three pairs of texts.
inline std::vector<Json> make_samples() {
  std::vector<Json> out;
  for (int v = 0; v < 3; ++v) {
    auto t = [&](int k) { return kTexts[size_t(v * 4 + k) % kTexts.size()]; };
    // 1. Zero-shot with a system prompt: the reference turn untrained (start_index 4).
    out.push_back(
        {{"messages",
          {msg("system", kScene), msg("user", {text(t(0))}), msg("assistant", {audio("ref.wav")}),
           msg("user", {text(t(1))}), msg("assistant", {audio("tgt.wav")})}},
         {"start_index", 4},
         {"speaker", "spk_001"}});
    // 2. Zero-shot without a system prompt.
    out.push_back({{"messages",
                    {msg("user", t(2)), msg("assistant", {audio("ref.wav")}), msg("user", t(3)),
                     msg("assistant", {audio("tgt.wav")})}},
                   {"start_index", 3}});
    // 3. No start_index: every assistant turn is trained.
    out.push_back({{"messages",
                    {msg("user", {text(t(0))}), msg("assistant", {audio("a.wav")}),
                     msg("user", {text(t(1))}), msg("assistant", {text(t(2)), audio("b.wav")})}}});
    // 4. Multi-turn, start_index in the middle: turn 1 untrained, turn 3 trained.
    out.push_back({{"messages",
                    {msg("user", t(3)), msg("assistant", "Sure."), msg("user", t(0)),
                     msg("assistant", {audio("c.wav")})}},
                   {"start_index", 2}});
    // 5. Audio in the user turn (audio-in), a text answer (ASR-like).
    out.push_back({{"messages",
                    {msg("user", {text(t(1)), audio("in.wav")}), msg("assistant", {text(t(2))})}}});
    // 6. Audio in the system turn.
    out.push_back({{"messages",
                    {msg("system", {text(t(3)), audio("sys.wav")}), msg("user", t(0)),
                     msg("assistant", {audio("out.wav")})}}});
    // 7. Consecutive assistant turns: <|eom_id|> between them, <|eot_id|> after the last.
    out.push_back({{"messages",
                    {msg("user", t(1)), msg("assistant", {audio("x.wav")}),
                     msg("assistant", {text(t(2))}), msg("assistant", {audio("y.wav")})}},
                   {"start_index", 1}});
    // 8. A recipient on an assistant turn.
    Json with_recipient = msg("assistant", {text(t(3))});
    with_recipient["recipient"] = "tool";
    out.push_back({{"messages",
                    {msg("user", t(0)), with_recipient, msg("user", t(1)),
                     msg("assistant", {audio("r.wav")})}}});
    // 9. Plain-string content everywhere, a text-only conversation.
    out.push_back({{"messages", {msg("system", t(2)), msg("user", t(3)), msg("assistant", t(0))}}});
    // 10. The speaker in misc (no top-level speaker).
    out.push_back({{"messages", {msg("user", t(1)), msg("assistant", {audio("m.wav")})}},
                   {"misc", {{"speaker", "misc_spk"}, {"note", v}}}});
    // 11. start_index 0: everything the assistant says is trained.
    out.push_back({{"messages",
                    {msg("user", t(2)), msg("assistant", {audio("z.wav")}), msg("user", t(3)),
                     msg("assistant", {audio("w.wav")})}},
                   {"start_index", 0}});
    // 12. An assistant turn mixing text, audio and text.
    out.push_back({{"messages",
                    {msg("user", {text(t(0)), audio("q.wav")}),
                     msg("assistant", {text(t(1)), audio("mix.wav"), text(t(2))})}},
                   {"start_index", 1},
                   {"speaker", "spk_mix"}});
  }
  return out;
}

}  // namespace higgs_referee
