// A ChatML dataset at scale: what it measures of each sample without encoding (lengths,
// durations, speaking rate), the filters (each drops exactly its samples, with its reason), the
// language field, and reference-audio augmentation (deterministic per seed, epoch and sample;
// the target never touched).
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "components/audio/audio_tokenizer.h"
#include "components/audio/augmentation.h"
#include "components/chatml/chatml_dataset.h"
#include "framework/run/component_builder.h"
#include "framework/run/recipe_plan.h"
#include "tests/support/test_support.h"
#include "tests/unit/chatml/fake_text_tokenizer.h"

namespace {

using higgs::Json;

// Codes from each 20 ms frame's level: a changed waveform changes its codes, the same one
// gives the same codes (what the tests need of an audio tokenizer).
class LevelAudioTokenizer : public higgs::AudioTokenizer {
 public:
  int64_t sample_rate() const override { return 16000; }
  int64_t num_codebooks() const override { return 2; }
  int64_t codebook_size() const override { return 1024; }
  int64_t hop_length() const override { return 320; }
  at::Tensor encode(const at::Tensor& w) override {
    const int64_t n = w.size(0), frames = (n + 319) / 320;
    auto codes = torch::zeros({2, frames}, torch::kLong);
    auto acc = w.accessor<float, 1>();
    for (int64_t t = 0; t < frames; ++t) {
      double sum = 0;
      for (int64_t i = t * 320; i < std::min(n, (t + 1) * 320); ++i) sum += acc[i] * acc[i];
      const int64_t level = static_cast<int64_t>(std::sqrt(sum / 320) * 100000) % 1024;
      codes[0][t] = level;
      codes[1][t] = (level * 7 + 3) % 1024;
    }
    return codes;
  }
  at::Tensor decode(const at::Tensor&) override { return torch::zeros({1}); }
  std::string identity() const override { return "level-test"; }
};

// A tone in syllables: 250 ms on, 100 ms off (a voice-activity measure hears a steady tone as
// background, not speech).
std::vector<float> scale_sine(double seconds, double amplitude, double hz = 220) {
  std::vector<float> x(static_cast<size_t>(seconds * 16000));
  for (size_t i = 0; i < x.size(); ++i) {
    const bool on = (i % 5600) < 4000;
    x[i] = static_cast<float>((on ? amplitude : amplitude * 0.001) *
                              std::sin(2 * M_PI * hz * double(i) / 16000.0));
  }
  return x;
}

Json scale_sample(const std::string& ref, const std::string& target, const std::string& text,
                  const std::string& language = "") {
  Json s = {{"messages",
             {{{"role", "user"}, {"content", "This is the reference speaking."}},
              {{"role", "assistant"}, {"content", {{"type", "audio"}, {"audio_url", ref}}}},
              {{"role", "user"}, {"content", text}},
              {{"role", "assistant"}, {"content", {{"type", "audio"}, {"audio_url", target}}}}}},
            {"start_index", 3}};
  if (!language.empty()) s["language"] = language;
  return s;
}

struct ScaleData {
  higgs::test::TempDir dir{"chatml-scale"};
  std::string path = dir.file("data.jsonl");
  ScaleData() {
    higgs::save_wav(dir.file("ref.wav"), scale_sine(2.0, 0.3), 16000);
    higgs::save_wav(dir.file("ref_copy.wav"), scale_sine(2.0, 0.3), 16000);
    higgs::save_wav(dir.file("ok.wav"), scale_sine(2.0, 0.4, 330), 16000);
    higgs::save_wav(dir.file("short.wav"), scale_sine(0.5, 0.4), 16000);
    higgs::save_wav(dir.file("long.wav"), scale_sine(8.0, 0.4), 16000);
    auto clipped = scale_sine(2.0, 3.0);  // saved as PCM16: clipped at full scale
    higgs::save_wav(dir.file("clipped.wav"), clipped, 16000);
    higgs::save_wav(dir.file("silent.wav"), scale_sine(2.0, 0.0005), 16000);
    const std::string fine = "Hello there, my friend.";  // 23 characters in 2 s
    std::vector<Json> samples = {
        scale_sample("ref.wav", "ok.wav", fine),                   // 1: kept
        scale_sample("ref.wav", "short.wav", fine),                // 2: too short
        scale_sample("ref.wav", "long.wav", fine),                 // 3: too long
        scale_sample("ref.wav", "ok.wav", std::string(200, 'a')),  // 4: 100 chars/s
        scale_sample("ref.wav", "ref_copy.wav", fine),             // 5: reference = target
        scale_sample("ref.wav", "clipped.wav", fine),              // 6: clipping
        scale_sample("ref.wav", "silent.wav", fine),               // 7: near-silence
        scale_sample("ref.wav", "ok.wav", "Guten Tag, mein Freund.", "de"),  // 8: kept, German
    };
    std::string text;
    for (const auto& s : samples) text += s.dump() + "\n";
    higgs::test::write_text(path, text);
  }
  higgs::ChatMLDatasetOptions options() const {
    higgs::ChatMLDatasetOptions o;
    o.path = path;
    o.code_cache_dir = "none";
    return o;
  }
  higgs::DatasetArgs args() const {
    return {std::make_shared<higgs::test::FakeTextTokenizer>(),
            std::make_shared<LevelAudioTokenizer>(), std::nullopt};
  }
};

// A clip's codes out of an example: clip 0 is the reference, clip 1 the target.
at::Tensor scale_clip(const higgs::Example& ex, int64_t clip) {
  const auto& all = ex.tensors.at("audio_ids_concat");
  const auto& starts = ex.tensors.at("audio_ids_start");
  const int64_t begin = starts[clip].item<int64_t>();
  const int64_t end = clip + 1 < starts.size(0) ? starts[clip + 1].item<int64_t>() : all.size(1);
  return all.narrow(1, begin, end - begin);
}

std::vector<std::shared_ptr<higgs::Augmentation>> scale_augmentations(const Json& list,
                                                                      Json* resolved) {
  static std::vector<std::shared_ptr<higgs::RecipePlan>> plans;  // outlive the components
  plans.push_back(std::make_shared<higgs::RecipePlan>(higgs::plan_recipe(
      higgs::Config(Json{{"reference_augmentation", list}}, "augment_test.json"))));
  *resolved = plans.back()->resolved["reference_augmentation"];
  higgs::ComponentBuilder builder(*plans.back());
  return builder.build_list<higgs::Augmentation>("reference_augmentation");
}

}  // namespace

TEST_CASE("chatml_scale: lengths and durations are measured from headers, equal to the codes") {
  ScaleData data;
  higgs::ChatMLDataset ds(data.options(), data.args(), false);
  REQUIRE(ds.size() == 8);
  const auto& f = ds.facts(0);
  CHECK(f.target_seconds == doctest::Approx(2.0));
  CHECK(f.reference_seconds == doctest::Approx(2.0));
  CHECK(f.text_chars == 23);
  CHECK(f.chars_per_second() == doctest::Approx(11.5));
  CHECK(!f.reference_is_target);
  CHECK(ds.facts(4).reference_is_target);  // another file, the same bytes
  for (size_t i : {0, 1, 2, 7}) {
    auto info = ds.info(i);
    REQUIRE(info);
    higgs::Example ex = ds.get(i);
    CHECK(info->length ==
          ex.tensors.at("input_ids").size(0) + ex.tensors.at("audio_ids_concat").size(1));
  }
  CHECK(ds.info(2)->fields.at("target_seconds") == doctest::Approx(8.0));
  CHECK(ds.labels(7) == std::vector<std::string>{"language/de"});
  CHECK(ds.labels(0).empty());
  CHECK(ds.sample(7).language.value_or("") == "de");
}

TEST_CASE("chatml_scale: each filter drops exactly its sample, with its reason") {
  ScaleData data;
  auto o = data.options();
  o.filters.min_target_seconds = 1.0;
  o.filters.max_target_seconds = 6.0;
  o.filters.max_chars_per_second = 30;
  o.filters.drop_reference_equal_to_target = true;
  o.filters.max_clipped_fraction = 0.01;
  o.filters.min_speech_fraction = 0.2;
  higgs::ChatMLDataset ds(o, data.args(), false);
  REQUIRE(ds.size() == 2);
  // Sources read "data.jsonl:LINE (sample N)".
  auto line_of = [](const std::string& source) {
    const size_t colon = source.rfind(".jsonl:") + 7;
    return source.substr(colon, source.find(' ', colon) - colon);
  };
  CHECK(line_of(ds.sample(0).source) == "1");
  CHECK(line_of(ds.sample(1).source) == "8");
  std::map<std::string, std::string> why;
  for (const auto& d : ds.dropped()) why[line_of(d.source)] = d.reason;
  CHECK(why == std::map<std::string, std::string>{
                   {"2", "target_seconds < min_target_seconds"},
                   {"3", "target_seconds > max_target_seconds"},
                   {"4", "chars_per_second > max_chars_per_second"},
                   {"5", "reference equals target"},
                   {"6", "target clipped_fraction > max_clipped_fraction"},
                   {"7", "target speech_fraction < min_speech_fraction (near-silence)"}});
  // Reference and text bounds.
  auto o2 = data.options();
  o2.filters.max_reference_seconds = 1.5;
  higgs::ChatMLDataset none(o2, data.args(), false);
  CHECK(none.size() == 0);
  CHECK(none.dropped().size() == 8);
  CHECK(none.dropped()[0].reason == "reference_seconds > max_reference_seconds");
  auto o3 = data.options();
  o3.filters.max_text_chars = 100;
  o3.filters.min_reference_seconds = 1.0;
  higgs::ChatMLDataset text(o3, data.args(), false);
  CHECK(text.size() == 7);
  REQUIRE(text.dropped().size() == 1);
  CHECK(text.dropped()[0].reason == "text_chars > max_text_chars");
}

TEST_CASE("chatml_scale: reference augmentation is deterministic and never touches the target") {
  ScaleData data;
  Json resolved;
  auto args = data.args();
  args.reference_augmentation = scale_augmentations(
      Json::array({{{"type", "noise"}, {"snr_db", {10, 20}}, {"color", "white"}},
                   {{"type", "gain"}, {"gain_db", {-6, -1}}}}),
      &resolved);
  args.augmentation_identity = resolved.dump();
  args.seed = 5;
  higgs::ChatMLDataset clean(data.options(), data.args(), false);
  higgs::ChatMLDataset aug(data.options(), args, false);
  higgs::ChatMLDataset again(data.options(), args, false);
  CHECK(aug.reference_variants() == 4);
  CHECK(clean.reference_variants() == 0);
  const auto plain = clean.get(0);
  std::set<int64_t> variants;
  for (int64_t epoch = 0; epoch < 12; ++epoch) {
    const auto a = aug.get(0, epoch), b = again.get(0, epoch);
    CHECK(torch::equal(scale_clip(a, 1), scale_clip(plain, 1)));   // the target: untouched
    CHECK(!torch::equal(scale_clip(a, 0), scale_clip(plain, 0)));  // the reference: augmented
    CHECK(torch::equal(scale_clip(a, 0), scale_clip(b, 0)));       // the same every time
    variants.insert(aug.variant_of(0, 0, epoch));
  }
  CHECK(variants.size() > 1);
  for (int64_t v : variants) CHECK((v >= 0 && v < 4));
  // get(index) (evaluation, data-check) is the clean sample.
  CHECK(torch::equal(scale_clip(aug.get(0), 0), scale_clip(plain, 0)));
  // Another seed draws other variants of the clip.
  auto other_args = args;
  other_args.seed = 6;
  higgs::ChatMLDataset other(data.options(), other_args, false);
  int differ = 0;
  for (int64_t epoch = 0; epoch < 12; ++epoch)
    differ += !torch::equal(scale_clip(other.get(0, epoch), 0), scale_clip(aug.get(0, epoch), 0));
  CHECK(differ > 0);
}

TEST_CASE("chatml_scale: augmentation options are checked with the recipe") {
  auto errors = [](const Json& list) {
    try {
      higgs::plan_recipe(
          higgs::Config(Json{{"reference_augmentation", list}}, "augment_test.json"));
    } catch (const higgs::RecipeError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto e = errors(Json::array({{{"type", "reverb"}, {"rt60_seconds", {0.01, 0.5}}},
                               {{"type", "speed"}, {"factors", {3.0}}},
                               {{"type", "noise"}, {"noise_dir", "/nonexistent/noise"}}}));
  CHECK(e.find("reference_augmentation[0].rt60_seconds") != std::string::npos);
  CHECK(e.find("reference_augmentation[1].factors") != std::string::npos);
  CHECK(e.find("reference_augmentation[2].noise_dir") != std::string::npos);
}
