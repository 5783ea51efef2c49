// The Higgs Audio v3 prompt and delay pattern, hand-computed (docs/higgs-v3.md).
#include <torch/torch.h>

#include "components/models/higgs_audio_v3/v3_prompt.h"

#include <doctest/doctest.h>

#include "tests/unit/chatml/fake_text_tokenizer.h"

namespace {

// The byte tokenizer of the data tests with v3's prompt tokens at their released ids.
class V3FakeTokenizer : public higgs::test::FakeTextTokenizer {
 public:
  std::optional<int64_t> token_to_id(const std::string& t) const override {
    static const std::map<std::string, int64_t> v3 = {{"<|tts|>", 151667},
                                                      {"<|audio|>", 151670},
                                                      {"<|text|>", 151672},
                                                      {"<|ref_audio|>", 151679},
                                                      {"<|ref_text|>", 151680}};
    auto it = v3.find(t);
    if (it != v3.end()) return it->second;
    return FakeTextTokenizer::token_to_id(t);
  }
};

}  // namespace

TEST_CASE("v3_prompt: voice cloning with transcript, without, and zero-shot") {
  namespace v3 = higgs::higgs_audio_v3;
  V3FakeTokenizer tok;
  const auto ids = v3::V3PromptTokens::from(tok);
  CHECK(ids.tts == 151667);
  REQUIRE(ids.ref_text);
  // Reference of 2 frames x 8 codebooks: 2 + 8 - 1 = 9 placeholder rows.
  const auto full = v3::v3_prompt(ids, tok, "Hi", 9, std::string("Yo"));
  std::vector<int64_t> expect = {151667, 151680, 'Y', 'o', 151679};
  expect.insert(expect.end(), 9, -100);
  expect.insert(expect.end(), {151672, 'H', 'i', 151670});
  CHECK(full == expect);
  const auto no_text = v3::v3_prompt(ids, tok, "Hi", 3);
  CHECK(no_text ==
        std::vector<int64_t>{151667, 151679, -100, -100, -100, 151672, 'H', 'i', 151670});
  CHECK(v3::v3_prompt(ids, tok, "Hi") == std::vector<int64_t>{151667, 151672, 'H', 'i', 151670});
  // Inline control tags are text: passed to the tokenizer untouched.
  tok.calls.clear();
  v3::v3_prompt(ids, tok, "<|emotion:happy|>Hi");
  CHECK(tok.calls == std::vector<std::string>{"<|emotion:happy|>Hi"});
  // A tokenizer without the v3 tokens is refused, naming them.
  higgs::test::FakeTextTokenizer v2;
  CHECK_THROWS_WITH(v3::V3PromptTokens::from(v2), doctest::Contains("<|tts|>, <|text|>"));
}

TEST_CASE("v3_delay: codebook c shifted by c rows between BOC and EOC, and back") {
  namespace v3 = higgs::higgs_audio_v3;
  auto codes = torch::tensor({1, 2, 3, 11, 12, 13, 21, 22, 23}, torch::kLong).view({3, 3});
  auto d = v3::v3_delay(codes);
  CHECK(d.sizes() == torch::IntArrayRef({3, 5}));
  CHECK(torch::equal(d, torch::tensor({1, 2, 3, 1025, 1025,      //
                                       1024, 11, 12, 13, 1025,   //
                                       1024, 1024, 21, 22, 23},  //
                                      torch::kLong)
                            .view({3, 5})));
  CHECK(torch::equal(v3::v3_undelay(d), codes));
  CHECK_THROWS(v3::v3_undelay(torch::zeros({8, 5}, torch::kLong)));
}
