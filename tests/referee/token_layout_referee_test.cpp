// Referee 1: our prepare_chatml_sample against Boson's (boson-multimodal 0.1.1) on 36 ChatML
// samples with the real Higgs tokenizer.json: input ids, labels, audio order and speaker equal.
// The samples cover the zero-shot layout with and without a system prompt, multi-turn with
// start_index (0, middle, none), audio in system, user and assistant turns, consecutive assistant
// turns (<|eom_id|>), a recipient, plain-string content, speaker and misc.speaker, and texts in
// German, Chinese, Japanese, Arabic, with emoji, special-token text, newlines and empty text.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/data/chatml.h"
#include "components/data/chatml_layout.h"
#include "components/text/llama3_bpe.h"
#include "tests/referee/referee_support.h"

namespace token_layout_referee {

using namespace higgs_referee;

const std::vector<std::string> kTexts = {
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

Json text(const std::string& t) { return {{"type", "text"}, {"text", t}}; }
Json audio(const std::string& url) { return {{"type", "audio"}, {"audio_url", url}}; }
Json msg(const std::string& role, Json content) { return {{"role", role}, {"content", std::move(content)}}; }

const std::string kScene =
    "Generate audio following instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a quiet "
    "room.\n<|scene_desc_end|>";

// Twelve layouts; each is used with three pairs of texts.
std::vector<Json> make_samples() {
  std::vector<Json> out;
  for (int v = 0; v < 3; ++v) {
    auto t = [&](int k) { return kTexts[size_t(v * 4 + k) % kTexts.size()]; };
    // 1. Zero-shot with a system prompt: the reference turn untrained (start_index 4).
    out.push_back({{"messages", {msg("system", kScene), msg("user", {text(t(0))}), msg("assistant", {audio("ref.wav")}),
                                 msg("user", {text(t(1))}), msg("assistant", {audio("tgt.wav")})}},
                   {"start_index", 4},
                   {"speaker", "spk_001"}});
    // 2. Zero-shot without a system prompt.
    out.push_back({{"messages", {msg("user", t(2)), msg("assistant", {audio("ref.wav")}), msg("user", t(3)),
                                 msg("assistant", {audio("tgt.wav")})}},
                   {"start_index", 3}});
    // 3. No start_index: every assistant turn is trained.
    out.push_back({{"messages", {msg("user", {text(t(0))}), msg("assistant", {audio("a.wav")}), msg("user", {text(t(1))}),
                                 msg("assistant", {text(t(2)), audio("b.wav")})}}});
    // 4. Multi-turn, start_index in the middle: turn 1 untrained, turn 3 trained.
    out.push_back({{"messages", {msg("user", t(3)), msg("assistant", "Sure."), msg("user", t(0)),
                                 msg("assistant", {audio("c.wav")})}},
                   {"start_index", 2}});
    // 5. Audio in the user turn (audio-in), a text answer (ASR-like).
    out.push_back({{"messages", {msg("user", {text(t(1)), audio("in.wav")}), msg("assistant", {text(t(2))})}}});
    // 6. Audio in the system turn.
    out.push_back({{"messages", {msg("system", {text(t(3)), audio("sys.wav")}), msg("user", t(0)),
                                 msg("assistant", {audio("out.wav")})}}});
    // 7. Consecutive assistant turns: <|eom_id|> between them, <|eot_id|> after the last.
    out.push_back({{"messages", {msg("user", t(1)), msg("assistant", {audio("x.wav")}), msg("assistant", {text(t(2))}),
                                 msg("assistant", {audio("y.wav")})}},
                   {"start_index", 1}});
    // 8. A recipient on an assistant turn.
    Json with_recipient = msg("assistant", {text(t(3))});
    with_recipient["recipient"] = "tool";
    out.push_back({{"messages", {msg("user", t(0)), with_recipient, msg("user", t(1)), msg("assistant", {audio("r.wav")})}}});
    // 9. Plain-string content everywhere, a text-only conversation.
    out.push_back({{"messages", {msg("system", t(2)), msg("user", t(3)), msg("assistant", t(0))}}});
    // 10. The speaker in misc (no top-level speaker).
    out.push_back({{"messages", {msg("user", t(1)), msg("assistant", {audio("m.wav")})}},
                   {"misc", {{"speaker", "misc_spk"}, {"note", v}}}});
    // 11. start_index 0: everything the assistant says is trained.
    out.push_back({{"messages", {msg("user", t(2)), msg("assistant", {audio("z.wav")}), msg("user", t(3)),
                                 msg("assistant", {audio("w.wav")})}},
                   {"start_index", 0}});
    // 12. An assistant turn mixing text, audio and text.
    out.push_back({{"messages", {msg("user", {text(t(0)), audio("q.wav")}),
                                 msg("assistant", {text(t(1)), audio("mix.wav"), text(t(2))})}},
                   {"start_index", 1},
                   {"speaker", "spk_mix"}});
  }
  return out;
}

std::string show_diff(const std::vector<int64_t>& ours, const std::vector<int64_t>& boson,
                      const higgs::TextTokenizer& tok) {
  size_t i = 0;
  while (i < ours.size() && i < boson.size() && ours[i] == boson[i]) ++i;
  auto at = [&](const std::vector<int64_t>& v) {
    if (i >= v.size()) return std::string("(end)");
    return std::to_string(v[i]) + (v[i] >= 0 ? " " + tok.id_to_token(v[i]) : "");
  };
  return "first difference at " + std::to_string(i) + ": ours " + at(ours) + ", Boson's " + at(boson) +
         " (lengths " + std::to_string(ours.size()) + " and " + std::to_string(boson.size()) + ")";
}

TEST_CASE("referee: token layout equals Boson's prepare_chatml_sample on 36 samples") {
  fs::path dir = work_dir("token-layout");
  const std::string tokenizer = higgs_tokenizer_json();
  std::vector<Json> samples = make_samples();
  REQUIRE(samples.size() >= 30);
  {
    std::ofstream f(dir / "samples.jsonl");
    for (const Json& s : samples) f << s.dump() << "\n";
  }
  run_referee("boson_prepare_chatml.py", quote(tokenizer) + " " + quote((dir / "samples.jsonl").string()) + " " +
                                             quote((dir / "boson.json").string()));
  Json boson = read_json(dir / "boson.json");
  REQUIRE(boson.size() == samples.size());

  higgs::Llama3BpeTokenizer tok(tokenizer);
  auto ours_all = higgs::load_chatml_file((dir / "samples.jsonl").string());
  REQUIRE(ours_all.size() == samples.size());
  int64_t tokens = 0, labelled = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    CAPTURE(i);
    higgs::ChatMLTokens ours = higgs::prepare_chatml_sample(ours_all[i], tok);
    auto ids = boson[i]["input_ids"].get<std::vector<int64_t>>();
    auto labels = boson[i]["label_ids"].get<std::vector<int64_t>>();
    CHECK_MESSAGE(ours.input_ids == ids, "input ids, sample " << i << ": " << show_diff(ours.input_ids, ids, tok));
    CHECK_MESSAGE(ours.label_ids == labels, "labels, sample " << i << ": " << show_diff(ours.label_ids, labels, tok));
    std::vector<std::string> urls;
    for (const auto& a : ours.audio_contents) urls.push_back(a.audio_url);
    CHECK(urls == boson[i]["audio_urls"].get<std::vector<std::string>>());
    if (boson[i]["speaker"].is_null())
      CHECK_FALSE(ours.speaker.has_value());
    else
      CHECK(ours.speaker.value_or("(none)") == boson[i]["speaker"].get<std::string>());
    tokens += int64_t(ids.size());
    for (int64_t l : labels) labelled += l != -100;
  }
  MESSAGE(samples.size() << " samples, " << tokens << " tokens (" << labelled << " labelled) equal to Boson's");
  CHECK(labelled > 0);
}

}  // namespace token_layout_referee
