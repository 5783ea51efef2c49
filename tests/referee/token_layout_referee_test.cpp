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
