// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include <filesystem>
#include <fstream>

#include "components/audio/audio_tokenizer.h"
#include "components/audio/feature_extractor.h"
#include "components/collators/higgs_audio.h"
#include "framework/run/component_builder.h"
using higgs::Batch;
using higgs::Example;
using higgs::HiggsAudioCollator;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace collator_build_test {

constexpr int64_t P = 128001, AIN = 128015, AOUT = 128016, ABOS = 128011, AEOS = 128012,
                  AOBOS = 128013, X = -100;

at::Tensor L1(std::vector<int64_t> v) { return torch::tensor(v, torch::kLong); }
at::Tensor L2(std::vector<std::vector<int64_t>> rows) {
  std::vector<at::Tensor> r;
  for (auto& row : rows) r.push_back(L1(row));
  return torch::stack(r);
}

// Features that show which samples each chunk holds: [i][0][0] = chunk length,
// [i][1][0] = first sample; 2 mels x 4 frames.
class FakeFeatures : public higgs::FeatureExtractor {
 public:
  int64_t sample_rate() const override { return 100; }
  int64_t chunk_samples() const override { return 3000; }
  std::pair<at::Tensor, at::Tensor> extract(const std::vector<at::Tensor>& wavs) const override {
    const auto n = static_cast<int64_t>(wavs.size());
    at::Tensor f = torch::zeros({n, 2, 4});
    at::Tensor m = torch::zeros({n, 4}, torch::kLong);
    for (int64_t i = 0; i < n; ++i) {
      f[i][0][0] = static_cast<float>(wavs[i].numel());
      f[i][1][0] = wavs[i][0].item<float>();
      m[i].fill_(1);
    }
    return {f, m};
  }
};

higgs::HiggsTokenIds ids_k2() {
  higgs::HiggsTokenIds ids;
  ids.audio_num_codebooks = 2;
  ids.use_delay_pattern = true;
  return ids;
}

Example whisper_example() {
  Example ex;
  ex.tensors["input_ids"] = L1({ABOS, AIN, AEOS, 5, AOBOS, AOUT, AEOS});
  ex.tensors["label_ids"] = L1({X, X, X, X, AOBOS, AOUT, AEOS});
  ex.tensors["audio_ids_concat"] = L2({{0, 1, 2, 3, 4, 5, 7}, {10, 11, 12, 13, 14, 15, 8}});
  ex.tensors["audio_ids_start"] = L1({0, 6});
  ex.tensors["audio_waveforms_concat"] = torch::arange(15, torch::kFloat);
  ex.tensors["audio_waveforms_start"] = L1({0, 12});
  ex.tensors["audio_sample_rate"] = L1({100, 100});
  return ex;
}

TEST_CASE("higgs_audio collator: Whisper chunks repeat the audio-in placeholder per window") {
  HiggsAudioCollator::Options o;
  o.encode_whisper_embed = true;
  o.chunk_size_seconds = 0.05;  // 5 samples at 100 Hz: 12 samples -> windows of 5, 5, 2
  HiggsAudioCollator col(o, ids_k2(), std::make_shared<FakeFeatures>());
  Batch b = col.collate({whisper_example()});
  CHECK(torch::equal(b.at("input_ids"), L2({{ABOS, AIN, AEOS, ABOS, AIN, AEOS, ABOS, AIN, AEOS, 5,
                                             AOBOS, AOUT, AEOS, P, P, P}})));
  CHECK(torch::equal(b.at("label_ids"),
                     L2({{X, X, X, X, X, X, X, X, X, X, AOBOS, X, AEOS, X, X, X}})));
  // Each window carries the codes of its time span: frames [0,2), [2,5), [5,6).
  CHECK(torch::equal(
      b.at("audio_in_ids"),
      L2({{1024, 0, 1, 1025, 1025, 1024, 2, 3, 4, 1025, 1025, 1024, 5, 1025, 1025},
          {1024, 1024, 10, 11, 1025, 1024, 1024, 12, 13, 14, 1025, 1024, 1024, 15, 1025}})));
  CHECK(torch::equal(b.at("audio_in_ids_start"), L1({0, 5, 11})));
  CHECK(torch::equal(b.at("audio_out_ids"), L2({{1024, 7, 1025, 1025}, {1024, 1024, 8, 1025}})));
  at::Tensor f = b.at("audio_features");
  REQUIRE((f.sizes() == at::IntArrayRef({3, 2, 4})));
  CHECK(f[0][0][0].item<float>() == 5);
  CHECK(f[1][0][0].item<float>() == 5);
  CHECK(f[2][0][0].item<float>() == 2);
  CHECK(f[1][1][0].item<float>() == 5);  // the second window starts at sample 5
  CHECK(f[2][1][0].item<float>() == 10);
  CHECK((b.at("audio_feature_attention_mask").scalar_type() == torch::kInt));
  CHECK((b.at("audio_feature_attention_mask").sizes() == at::IntArrayRef({3, 4})));

  // No audio-in: empty features of the extractor's window shape.
  Example text;
  text.tensors["input_ids"] = L1({5});
  text.tensors["label_ids"] = L1({5});
  Batch e = col.collate({text});
  CHECK((e.at("audio_features").sizes() == at::IntArrayRef({0, 2, 4})));
  CHECK((e.at("audio_feature_attention_mask").sizes() == at::IntArrayRef({0, 4})));
  CHECK((e.at("audio_feature_attention_mask").scalar_type() == torch::kInt));

  // Waveforms at another rate are refused (the dataset resamples).
  Example wrong = whisper_example();
  wrong.tensors["audio_sample_rate"] = L1({24000, 24000});
  wrong.info["source"] = "d.jsonl:1";
  CHECK_THROWS_WITH(col.collate({wrong}),
                    "d.jsonl:1: audio 0 is at 24000 Hz but the feature extractor needs 100 Hz: "
                    "resample it in the dataset");
  // Whisper off: one placeholder, all codes.
  Batch off = HiggsAudioCollator({}, ids_k2()).collate({whisper_example()});
  CHECK(off.at("audio_in_ids_start").numel() == 1);
  CHECK(off.at("audio_in_ids").size(1) == 6 + 3);
}

TEST_CASE("higgs_audio collator: registered, built from a recipe node and the model config") {
  const higgs::RegistryEntry* entry = higgs::registry("collator").find("higgs_audio");
  REQUIRE(entry != nullptr);
  auto plan_with = [&](const higgs::Json& node) {
    higgs::RecipePlan plan;
    higgs::ComponentNode cn;
    cn.path = "collator";
    cn.entry = entry;
    cn.bound = entry->make_bound();
    higgs::Diagnostics diags;
    higgs::OptionReader reader(node, "collator", diags);
    cn.bound.visit(reader);
    reader.finish();
    diags.throw_if_any("test");
    plan.components["collator"] = cn;
    return plan;
  };
  higgs::Json config = {{"audio_in_token_idx", 7},
                        {"audio_out_token_idx", 8},
                        {"pad_token_id", 0},
                        {"audio_num_codebooks", 4},
                        {"use_delay_pattern", true}};

  // From the model config its creator arguments carry.
  auto plan = plan_with({{"type", "higgs_audio"}, {"round_to", 1}});
  higgs::ComponentBuilder builder(plan);
  auto col = std::dynamic_pointer_cast<HiggsAudioCollator>(
      builder.build<higgs::Collator>("collator", higgs::CollatorArgs{config, nullptr, true}));
  REQUIRE(col);
  CHECK(col->options().round_to == 1);
  CHECK(col->token_ids().audio_out_token_idx == 8);
  CHECK(col->token_ids().audio_num_codebooks == 4);

  // From a config.json path.
  auto path = std::filesystem::temp_directory_path() / "higgs_collator_build_test_config.json";
  std::ofstream(path) << config.dump();
  auto plan2 = plan_with({{"type", "higgs_audio"}, {"model_config", path.string()}});
  higgs::ComponentBuilder builder2(plan2);
  auto col2 =
      std::dynamic_pointer_cast<HiggsAudioCollator>(builder2.build<higgs::Collator>("collator"));
  CHECK(col2->token_ids().audio_in_token_idx == 7);
  CHECK(col2->options().round_to == 8);
  std::filesystem::remove(path);

  // Neither: a clear error. Whisper without a feature extractor: a clear error.
  higgs::ComponentBuilder builder3(plan);
  CHECK_THROWS_WITH(builder3.build<higgs::Collator>("collator"),
                    doctest::Contains("set collator.model_config"));
  auto plan4 = plan_with({{"type", "higgs_audio"}, {"encode_whisper_embed", true}});
  higgs::ComponentBuilder builder4(plan4);
  CHECK_THROWS_WITH(
      builder4.build<higgs::Collator>("collator", higgs::CollatorArgs{config, nullptr, true}),
      doctest::Contains("no feature_extractor"));
  // Unknown options are recipe errors.
  CHECK_THROWS(plan_with({{"type", "higgs_audio"}, {"round_too", 1}}));
}

}  // namespace collator_build_test
