// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/chatml/chatml_layout.h"
#include "components/collators/higgs_audio.h"
#include "tests/unit/chatml/fake_text_tokenizer.h"
using higgs::Batch;
using higgs::Example;
using higgs::HiggsAudioCollator;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace collator_test {

constexpr int64_t P = 128001, AIN = 128015, AOUT = 128016, ABOS = 128011, AEOS = 128012,
                  AOBOS = 128013, X = -100;

at::Tensor L1(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }
at::Tensor L2(std::vector<std::vector<int64_t>> rows) {
  if (rows.empty()) return torch::zeros({0, 0}, torch::kLong);
  std::vector<at::Tensor> r;
  for (auto& row : rows) r.push_back(L1(row));
  return torch::stack(r);
}

Example example(std::vector<int64_t> input, std::vector<int64_t> labels,
                std::vector<std::vector<int64_t>> codes, std::vector<int64_t> starts) {
  Example ex;
  ex.tensors["input_ids"] = L1(input);
  if (!labels.empty()) ex.tensors["label_ids"] = L1(labels);
  ex.tensors["audio_ids_concat"] = L2(codes);
  ex.tensors["audio_ids_start"] = L1(starts);
  return ex;
}

higgs::HiggsTokenIds ids_k(int64_t k) {
  higgs::HiggsTokenIds ids;  // HiggsAudioConfig defaults = the released checkpoint's ids
  ids.audio_num_codebooks = k;
  ids.use_delay_pattern = true;
  return ids;
}

bool eq(const Batch& b, const char* name, const at::Tensor& want) {
  if (!b.has(name)) return false;
  const at::Tensor& got = b.at(name);
  if (got.scalar_type() != want.scalar_type() || !got.sizes().equals(want.sizes())) {
    MESSAGE(name << ": got " << got.sizes() << " " << got.scalar_type() << ", want " << want.sizes()
                 << " " << want.scalar_type());
    return false;
  }
  if (!torch::equal(got, want)) {
    MESSAGE(name << ": got\n" << got << "\nwant\n" << want);
    return false;
  }
  return true;
}

// The delayed [BOS, C, EOS] row k of a (K, T+K+1) segment, written from the spec's description:
// k x BOS, then [BOS, c..., EOS], then (K-1-k) x EOS. Labels: BOS fill and trailing pad are -100.
at::Tensor delayed(const at::Tensor& c, bool label) {
  const int64_t K = c.size(0), T = c.size(1);
  at::Tensor out = torch::empty({K, T + K + 1}, torch::kLong);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < T + K + 1; ++j) {
      int64_t v;
      if (j < k)
        v = label ? X : 1024;
      else if (j == k)
        v = label ? X : 1024;
      else if (j <= k + T)
        v = c[k][j - k - 1].item<int64_t>();
      else if (j == k + T + 1)
        v = 1025;
      else
        v = label ? X : 1025;
      out[k][j] = v;
    }
  return out;
}

TEST_CASE("higgs_audio collator: one audio-out segment, K=2, by hand") {
  HiggsAudioCollator col({}, ids_k(2));
  Batch b = col.collate({example({5, AOUT, 6}, {X, AOUT, 6}, {{1, 2, 3}, {4, 5, 6}}, {0})});
  CHECK(eq(b, "input_ids", L2({{5, AOUT, 6, P, P, P, P, P}})));  // round_to 8
  CHECK(eq(b, "attention_mask", L2({{1, 1, 1, 0, 0, 0, 0, 0}})));
  CHECK(eq(b, "label_ids", L2({{X, X, 6, X, X, X, X, X}})));  // <|AUDIO_OUT|> label masked
  CHECK(eq(b, "audio_out_ids", L2({{1024, 1, 2, 3, 1025, 1025}, {1024, 1024, 4, 5, 6, 1025}})));
  CHECK(eq(b, "label_audio_ids", L2({{X, 1, 2, 3, 1025, X}, {X, X, 4, 5, 6, 1025}})));
  CHECK(eq(b, "audio_out_ids_start", L1({0})));
  CHECK(eq(b, "audio_out_ids_start_group_loc", L1({0})));
  CHECK(eq(b, "audio_in_ids", torch::zeros({0, 0}, torch::kLong)));
  CHECK(eq(b, "audio_in_ids_start", torch::zeros({0}, torch::kLong)));
  CHECK(eq(b, "reward", torch::zeros({0}, torch::kFloat)));
  CHECK_FALSE(b.has("audio_features"));
  CHECK_FALSE(b.has("audio_feature_attention_mask"));
}

TEST_CASE("higgs_audio collator: zero-shot ChatML sample, K=8, reference audio not trained") {
  higgs::test::FakeTextTokenizer tok;
  higgs::ChatMLSample s;
  s.messages = {{"user", {higgs::ChatMLContent::make_text("R")}, std::nullopt},
                {"assistant", {higgs::ChatMLContent::make_audio("ref.wav")}, std::nullopt},
                {"user", {higgs::ChatMLContent::make_text("T")}, std::nullopt},
                {"assistant", {higgs::ChatMLContent::make_audio("tgt.wav")}, std::nullopt}};
  s.start_index = 3;
  auto tokens = higgs::prepare_chatml_sample(s, tok);
  at::Tensor ref = torch::arange(8 * 3, torch::kLong).reshape({8, 3});
  at::Tensor tgt = torch::arange(8 * 4, torch::kLong).reshape({8, 4}) + 500;
  Example ex = higgs::make_chatml_example(tokens, {ref, tgt});
  HiggsAudioCollator col({}, ids_k(8));
  Batch b = col.collate({ex});

  const auto n = static_cast<int64_t>(tokens.input_ids.size());
  const int64_t L = (n + 7) / 8 * 8;
  REQUIRE(b.at("input_ids").size(1) == L);
  CHECK(torch::equal(b.at("input_ids")[0].narrow(0, 0, n), L1(tokens.input_ids)));
  CHECK(b.at("input_ids")[0].narrow(0, n, L - n).eq(P).all().item<bool>());
  at::Tensor lab = b.at("label_ids")[0];
  CHECK(lab.narrow(0, 0, n - 4).eq(X).all().item<bool>());
  CHECK(torch::equal(lab.narrow(0, n - 4, 4), L1({AOBOS, X, AEOS, 128009})));
  CHECK(lab.narrow(0, n, L - n).eq(X).all().item<bool>());

  // (8, T+9) per segment: 12 + 13 columns.
  CHECK(eq(b, "audio_out_ids", torch::cat({delayed(ref, false), delayed(tgt, false)}, 1)));
  CHECK(eq(b, "audio_out_ids_start", L1({0, 12})));
  CHECK(eq(b, "label_audio_ids",
           torch::cat({torch::full({8, 12}, X, torch::kLong), delayed(tgt, true)}, 1)));
  // Spot checks of the spec's picture: row 7 of the target starts with 8 x BOS, ends with EOS.
  at::Tensor out = b.at("audio_out_ids");
  CHECK(out[7][12 + 7].item<int64_t>() == 1024);
  CHECK(out[7][12 + 8].item<int64_t>() == 528);  // tgt[7][0]
  CHECK(out[7][24].item<int64_t>() == 1025);
  CHECK(out[0][12 + 5].item<int64_t>() == 1025);  // EOS of codebook 0, then 7 pads
  CHECK(b.at("label_audio_ids")[0][12].item<int64_t>() == X);
  CHECK(b.at("label_audio_ids")[0][12 + 5].item<int64_t>() == 1025);
  CHECK(b.at("label_audio_ids")[0][12 + 6].item<int64_t>() == X);
}

TEST_CASE(
    "higgs_audio collator: batch of two lengths, pad_left, round_to, a sample without audio") {
  Example a = example({1, 2, 3, AOUT, 4}, {X, X, 3, AOUT, 4}, {{7}, {8}}, {0});
  Example none = example({9, 10}, {9, X}, {}, {});
  HiggsAudioCollator::Options o;
  o.round_to = 4;
  o.pad_left = true;
  Batch b = HiggsAudioCollator(o, ids_k(2)).collate({a, none});
  CHECK(eq(b, "input_ids", L2({{P, P, P, 1, 2, 3, AOUT, 4}, {P, P, P, P, P, P, 9, 10}})));
  CHECK(eq(b, "attention_mask", L2({{0, 0, 0, 1, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 0, 1, 1}})));
  CHECK(eq(b, "label_ids", L2({{X, X, X, X, X, 3, X, 4}, {X, X, X, X, X, X, 9, X}})));
  CHECK(eq(b, "audio_out_ids", L2({{1024, 7, 1025, 1025}, {1024, 1024, 8, 1025}})));
  CHECK(eq(b, "label_audio_ids", L2({{X, 7, 1025, X}, {X, X, 8, 1025}})));
  CHECK(eq(b, "audio_out_ids_start", L1({0})));
  // One entry per sample, not per segment: the reference's behaviour (unused by forward).
  CHECK(eq(b, "audio_out_ids_start_group_loc", L1({0, 1})));
  CHECK(b.size() == 2);

  o.round_to = 1;
  o.pad_left = false;
  Batch r = HiggsAudioCollator(o, ids_k(2)).collate({a, none});
  CHECK(eq(r, "input_ids", L2({{1, 2, 3, AOUT, 4}, {9, 10, P, P, P}})));
  CHECK(eq(r, "label_ids", L2({{X, X, 3, X, 4}, {9, X, X, X, X}})));

  // No audio at all: (0, 0) code tensors, empty starts, no group_loc.
  Batch e = HiggsAudioCollator(o, ids_k(2)).collate({none});
  CHECK(eq(e, "audio_out_ids", torch::zeros({0, 0}, torch::kLong)));
  CHECK(eq(e, "label_audio_ids", torch::zeros({0, 0}, torch::kLong)));
  CHECK(eq(e, "audio_out_ids_start", torch::zeros({0}, torch::kLong)));
  CHECK(eq(e, "audio_in_ids", torch::zeros({0, 0}, torch::kLong)));
  CHECK_FALSE(e.has("audio_out_ids_start_group_loc"));
}

TEST_CASE("higgs_audio collator: audio-in, codebook slicing, no delay, return_audio_in_tokens") {
  // user audio (K=3, T=2) then assistant audio (T=1).
  Example ex = example({ABOS, AIN, AEOS, 5, AOBOS, AOUT, AEOS}, {X, X, X, X, AOBOS, AOUT, AEOS},
                       {{1, 2, 7}, {3, 4, 8}, {5, 6, 9}}, {0, 2});
  HiggsAudioCollator::Options o;
  o.audio_num_codebooks = 2;
  Batch b = HiggsAudioCollator(o, ids_k(3)).collate({ex});
  CHECK(eq(b, "audio_in_ids", L2({{1024, 1, 2, 1025, 1025}, {1024, 1024, 3, 4, 1025}})));
  CHECK(eq(b, "audio_in_ids_start", L1({0})));
  CHECK(eq(b, "audio_out_ids", L2({{1024, 7, 1025, 1025}, {1024, 1024, 8, 1025}})));
  CHECK(eq(b, "label_audio_ids", L2({{X, 7, 1025, X}, {X, X, 8, 1025}})));

  o.use_delay_pattern = false;
  o.mask_audio_out_token_label = false;
  Batch nd = HiggsAudioCollator(o, ids_k(3)).collate({ex});
  CHECK(eq(nd, "audio_in_ids", L2({{1024, 1, 2, 1025}, {1024, 3, 4, 1025}})));
  CHECK(eq(nd, "audio_out_ids", L2({{1024, 7, 1025}, {1024, 8, 1025}})));
  CHECK(eq(nd, "label_audio_ids", L2({{X, 7, 1025}, {X, 8, 1025}})));
  CHECK(eq(nd, "label_ids", L2({{X, X, X, X, AOBOS, AOUT, AEOS, X}})));  // label kept

  o.return_audio_in_tokens = false;
  Batch ni = HiggsAudioCollator(o, ids_k(3)).collate({ex});
  CHECK_FALSE(ni.has("audio_in_ids"));
  CHECK_FALSE(ni.has("audio_in_ids_start"));
  CHECK(eq(ni, "audio_out_ids", L2({{1024, 7, 1025}, {1024, 8, 1025}})));

  // Default: all codebooks of the model config (3).
  Batch all = HiggsAudioCollator({}, ids_k(3)).collate({ex});
  CHECK(all.at("audio_out_ids").size(0) == 3);
  // More codebooks than the data has is an error naming the sample.
  ex.info["source"] = "d.jsonl:4";
  CHECK_THROWS_WITH(HiggsAudioCollator({}, ids_k(4)).collate({ex}),
                    "d.jsonl:4: audio 0 has 3 codebooks, the model needs 4");
}

TEST_CASE("higgs_audio collator: untrained audio-out turn gives all -100 audio labels") {
  Example ex = example({AOUT, 1, AOUT}, {X, 1, AOUT}, {{1, 2}, {3, 4}}, {0, 1});
  HiggsAudioCollator::Options o;
  o.mask_audio_out_token_label = false;  // the flag is read from the label before masking anyway
  Batch b = HiggsAudioCollator(o, ids_k(2)).collate({ex});
  CHECK(eq(b, "label_audio_ids", L2({{X, X, X, X, X, 2, 1025, X}, {X, X, X, X, X, X, 4, 1025}})));
  CHECK(eq(b, "audio_out_ids_start", L1({0, 4})));
}

TEST_CASE("higgs_audio collator: disable_audio_codes_transform takes codes and labels as given") {
  Example ex = example({AOUT, AOUT}, {AOUT, X}, {{1, 2, 3}, {4, 5, 6}}, {0, 2});
  ex.tensors["audio_label_ids_concat"] = L2({{11, 12, 13}, {14, 15, 16}});
  HiggsAudioCollator::Options o;
  o.disable_audio_codes_transform = true;
  Batch b = HiggsAudioCollator(o, ids_k(2)).collate({ex});
  CHECK(eq(b, "audio_out_ids", L2({{1, 2, 3}, {4, 5, 6}})));
  CHECK(eq(b, "label_audio_ids", L2({{11, 12, X}, {14, 15, X}})));  // 2nd segment not trained
  CHECK(eq(b, "audio_out_ids_start", L1({0, 2})));
  ex.tensors.erase("audio_label_ids_concat");
  CHECK_THROWS(HiggsAudioCollator(o, ids_k(2)).collate({ex}));
}

TEST_CASE("higgs_audio collator: inference batches and malformed examples") {
  Example ex = example({5, AOUT}, {}, {{1}, {2}}, {0});
  Batch b = HiggsAudioCollator({}, ids_k(2)).collate({ex});
  CHECK_FALSE(b.has("label_ids"));
  CHECK_FALSE(b.has("label_audio_ids"));
  CHECK(eq(b, "audio_out_ids", L2({{1024, 1, 1025, 1025}, {1024, 1024, 2, 1025}})));
  Example labelled = example({5}, {5}, {}, {});
  CHECK_THROWS(HiggsAudioCollator({}, ids_k(2)).collate({ex, labelled}));
  Example wrong = example({AOUT, AOUT}, {X, X}, {{1}, {2}}, {0});
  wrong.info["source"] = "x.jsonl:2";
  CHECK_THROWS_WITH(HiggsAudioCollator({}, ids_k(2)).collate({wrong}),
                    "x.jsonl:2: 2 audio placeholders in input_ids but 1 audios in audio_ids_start");
  Example rewarded = example({5}, {5}, {}, {});
  rewarded.tensors["reward"] = torch::tensor(0.5);
  CHECK(eq(HiggsAudioCollator({}, ids_k(2)).collate({rewarded, labelled}), "reward",
           torch::tensor({0.5f})));
}

}  // namespace collator_test
