// Referee 1: our prepare_chatml_sample against Boson's (boson-multimodal 0.1.1) on 36 ChatML
// samples with the real Higgs tokenizer.json: input ids, labels, audio order and speaker equal.
// The samples cover the zero-shot layout with and without a system prompt, multi-turn with
// start_index (0, middle, none), audio in system, user and assistant turns, consecutive assistant
// turns (<|eom_id|>), a recipient, plain-string content, speaker and misc.speaker, and texts in
// German, Chinese, Japanese, Arabic, with emoji, special-token text, newlines and empty text.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/chatml/chatml.h"
#include "components/chatml/chatml_layout.h"
#include "components/text/llama3_bpe.h"
#include "tests/referee/chatml_samples.h"
#include "tests/referee/referee_support.h"

namespace token_layout_referee {

using namespace higgs_referee;
using higgs_referee::make_samples;

std::string show_diff(const std::vector<int64_t>& ours, const std::vector<int64_t>& boson,
                      const higgs::TextTokenizer& tok) {
  size_t i = 0;
  while (i < ours.size() && i < boson.size() && ours[i] == boson[i]) ++i;
  auto at = [&](const std::vector<int64_t>& v) {
    if (i >= v.size()) return std::string("(end)");
    return std::to_string(v[i]) + (v[i] >= 0 ? " " + tok.id_to_token(v[i]) : "");
  };
  return "first difference at " + std::to_string(i) + ": ours " + at(ours) + ", Boson's " +
         at(boson) + " (lengths " + std::to_string(ours.size()) + " and " +
         std::to_string(boson.size()) + ")";
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
  run_referee("boson_prepare_chatml.py", quote(tokenizer) + " " +
                                             quote((dir / "samples.jsonl").string()) + " " +
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
    CHECK_MESSAGE(ours.input_ids == ids,
                  "input ids, sample " << i << ": " << show_diff(ours.input_ids, ids, tok));
    CHECK_MESSAGE(ours.label_ids == labels,
                  "labels, sample " << i << ": " << show_diff(ours.label_ids, labels, tok));
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
  MESSAGE(samples.size() << " samples, " << tokens << " tokens (" << labelled
                         << " labelled) equal to Boson's");
  CHECK(labelled > 0);
}

// One zero-shot voice-cloning sample per language (the five Higgs v2 was trained on, English,
// Chinese, Korean, German, Spanish, and others), as a user writes them: compact layout with a
// `language` field. Ours: parsed (language kept), converted to the training layout and laid out.
// Boson's: the converted sample without the field it does not know, through its
// prepare_chatml_sample. Input ids and labels equal in every language.
TEST_CASE("referee: zero-shot samples in each language equal Boson's prepare_chatml_sample") {
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> by_language = {
      {"en", {"The quick brown fox jumps over the lazy dog.", "Please call Stella tomorrow."}},
      {"zh", {"今天天气很好，我们去公园散步吧。", "请把这份文件发给我，谢谢！"}},
      {"ko", {"안녕하세요, 오늘 날씨가 정말 좋네요.", "내일 아침 일곱 시에 만나요."}},
      {"de", {"Grüße aus München, schön dich zu hören!", "Der Zug fährt um halb acht ab."}},
      {"es", {"¿Dónde está la estación de tren más cercana?", "Mañana será un día soleado."}},
      {"ja", {"こんにちは、お元気ですか？", "東京駅で午後三時に会いましょう。"}},
      {"fr", {"Où est la boulangerie la plus proche ?", "Je t'appellerai ce soir, promis."}},
      {"ru", {"Доброе утро! Как твои дела?", "Встретимся завтра у вокзала."}},
  };
  fs::path dir = work_dir("token-layout-languages");
  const std::string tokenizer = higgs_tokenizer_json();
  higgs::Llama3BpeTokenizer tok(tokenizer);
  std::vector<higgs::ChatMLSample> ours;
  {
    std::ofstream theirs(dir / "samples.jsonl");
    for (const auto& [lang, texts] : by_language) {
      Json compact = {{"messages",
                       {msg("user", Json::array({text(texts.first), audio("ref_" + lang + ".wav"),
                                                 text(texts.second)})),
                        msg("assistant", Json::array({audio("target_" + lang + ".wav")}))}},
                      {"language", lang}};
      auto parsed = higgs::parse_chatml_sample(compact, "languages:" + lang, "");
      REQUIRE(parsed.language.value_or("") == lang);
      higgs::ChatMLSample converted = higgs::to_zero_shot_layout(parsed);
      CHECK(converted.language.value_or("") == lang);
      ours.push_back(converted);
      Json j = higgs::chatml_to_json(converted);
      j.erase("language");
      theirs << j.dump() << "\n";
    }
  }
  run_referee("boson_prepare_chatml.py", quote(tokenizer) + " " +
                                             quote((dir / "samples.jsonl").string()) + " " +
                                             quote((dir / "boson.json").string()));
  Json boson = read_json(dir / "boson.json");
  REQUIRE(boson.size() == by_language.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    const std::string& lang = by_language[i].first;
    CAPTURE(lang);
    higgs::ChatMLTokens t = higgs::prepare_chatml_sample(ours[i], tok);
    auto ids = boson[i]["input_ids"].get<std::vector<int64_t>>();
    auto labels = boson[i]["label_ids"].get<std::vector<int64_t>>();
    CHECK_MESSAGE(t.input_ids == ids, lang << ": " << show_diff(t.input_ids, ids, tok));
    CHECK_MESSAGE(t.label_ids == labels, lang << ": " << show_diff(t.label_ids, labels, tok));
    // The target text reached the ids: more tokens than the layout's fixed parts.
    CHECK(ids.size() > 40);
  }
}

}  // namespace token_layout_referee

namespace text_tokenizer_referee {

using namespace higgs_referee;

// Our llama3_bpe against PreTrainedTokenizerFast (what Boson's code loads) on the same
// tokenizer.json, over the tokenizer peer test's corpus (2,400 lines: every special token in and
// around text, many scripts, emoji, whitespace runs, digits, code): ids identical on every line.
TEST_CASE("referee: our text tokenizer equals PreTrainedTokenizerFast on the 2,400-line corpus") {
  fs::path dir = work_dir("text-tokenizer");
  const std::string tokenizer = higgs_tokenizer_json();
  const std::string corpus = (fs::path(tokenizer).parent_path() / "corpus.jsonl").string();
  run_referee("boson_tokenize.py",
              quote(tokenizer) + " " + quote(corpus) + " " + quote((dir / "ids.json").string()));
  Json want = read_json(dir / "ids.json");
  higgs::Llama3BpeTokenizer tok(tokenizer);
  std::ifstream in(corpus);
  std::string line;
  size_t i = 0, mismatches = 0, tokens = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    REQUIRE(i < want.size());
    const std::string text = Json::parse(line).get<std::string>();
    auto ids = tok.encode(text);
    auto expected = want[i].get<std::vector<int64_t>>();
    if (ids != expected) {
      ++mismatches;
      CHECK_MESSAGE(ids == expected, "line " << i + 1 << ": " << Json(text).dump());
    }
    tokens += expected.size();
    ++i;
  }
  CHECK(i == want.size());
  CHECK(i >= 2000);
  MESSAGE(i << " lines, " << tokens << " tokens, " << mismatches
            << " mismatches against PreTrainedTokenizerFast");
}

}  // namespace text_tokenizer_referee
