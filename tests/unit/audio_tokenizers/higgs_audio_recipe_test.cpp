// The issue's first Done-when: a recipe naming `higgs_audio` with a directory that holds
// config.json + model.pth in the released format (an OrderedDict state dict saved by torch.save,
// written here by Python) encodes a 7.2 s clip to (8, 180) codes in 0..1023, equal to the
// independent Python reference, and decodes them to 172,800 samples.
// torch must come before doctest (glog's CHECK).
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include <cstdlib>
#include <fstream>

#include "components/audio/audio_tokenizer.h"
#include "framework/run/component_builder.h"
#include "tests/support/test_support.h"
#include "tests/unit/audio_tokenizers/higgs_audio_fixture.h"

namespace higgs::audio_recipe_test {

// Released sizes where they matter here (8 codebooks of 1024 codewords, hop 960), small elsewhere.
const char* kConfig = R"({
  "n_filters": 32, "D": 16, "codebook_dim": 8, "ratios": [8, 5, 4, 2, 3],
  "sample_rate": 24000, "bins": 1024, "n_q": 8, "target_bandwidths": [0.5, 1, 1.5, 2, 4],
  "semantic_techer": "hubert_base_general", "acoustic_encoder_dim": 4,
  "acoustic_decoder_dim": 64, "semantic_hidden_size": 32, "semantic_num_layers": 2,
  "semantic_num_heads": 4, "semantic_intermediate_size": 64,
  "semantic_conv_dim": [16, 16, 16, 16, 16, 16, 16], "semantic_pos_conv_kernel": 16,
  "semantic_pos_conv_groups": 4})";

TEST_CASE(
    "higgs_audio from a recipe: released-format model.pth, 7.2 s -> (8, 180) -> 172,800 samples") {
  test::TempDir dir("higgs-audio-recipe");
  const std::string tok_dir = dir.file("tokenizer");
  test::write_text(dir.file("config.json"), kConfig);
  const std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                          "/tests/python/make_released_tokenizer_dir.py " +
                          dir.file("config.json") + " " + tok_dir + " 5 172800 100000 24000";
  REQUIRE(std::system(cmd.c_str()) == 0);
  // The file really is the released layout: a zip archive, not a plain pickle.
  std::ifstream pth(tok_dir + "/model.pth", std::ios::binary);
  char magic[2] = {0, 0};
  pth.read(magic, 2);
  REQUIRE(std::string(magic, 2) == "PK");

  RecipePlan plan = plan_recipe(Config(
      Json{{"audio_tokenizer", {{"type", "higgs_audio"}, {"path", tok_dir}}}}, "recipe.json"));
  ComponentBuilder components(plan);
  auto tok = components.build<AudioTokenizer>("audio_tokenizer", RunSettings{});
  CHECK(tok->num_codebooks() == 8);
  CHECK(tok->codebook_size() == 1024);
  CHECK(tok->hop_length() == 960);

  auto expected = higgs_audio_test::read_pickled_dict(tok_dir + "/expected.pth");
  torch::NoGradGuard no_grad;
  at::Tensor wave = expected.at("wave172800");
  REQUIRE(wave.size(0) == 172800);
  at::Tensor codes = tok->encode(wave);
  REQUIRE(codes.sizes() == at::IntArrayRef({8, 180}));
  CHECK((codes.scalar_type() == at::kLong));
  CHECK(codes.min().item<int64_t>() >= 0);
  CHECK(codes.max().item<int64_t>() <= 1023);
  CHECK(codes.max().item<int64_t>() >= 64);  // the whole 1024-way range is in use, not a small one
  CHECK(codes.equal(expected.at("codes172800")));
  at::Tensor out = tok->decode(codes);
  CHECK(out.sizes() == at::IntArrayRef({172800}));
  CHECK(torch::isfinite(out).all().item<bool>());

  // Other lengths follow the reference rule (docs/audio-tokenizer.md): T = floor((ceil(2N/3) -
  // 80) / 640) + 1, and decode gives 960 * T samples.
  for (int64_t n : {100000, 24000}) {
    CAPTURE(n);
    at::Tensor c = tok->encode(expected.at("wave" + std::to_string(n)));
    int64_t t = ((2 * n + 2) / 3 - 80) / 640 + 1;
    REQUIRE(c.sizes() == at::IntArrayRef({8, t}));
    CHECK(c.equal(expected.at("codes" + std::to_string(n))));
    CHECK(tok->decode(c).size(0) == 960 * t);
  }
  CHECK(tok->identity().rfind("higgs_audio/", 0) == 0);
}

}  // namespace higgs::audio_recipe_test
