// The asr scorer: Seed-TTS-eval's normalisation and the error rates by hand, then PocketSphinx
// (Debian's en-us model) on real speech from espeak-ng against white noise and silence: speech is
// recognised (WER far below noise's), noise and silence score as errors.
#include <torch/torch.h>

#include <random>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "components/generation/scorer.h"
#include "components/generation/word_error_rate.h"
#include "framework/config/config.h"
#include "framework/run/component_builder.h"
#include "framework/run/recipe_plan.h"
#include "tests/support/test_support.h"

using higgs::generation::error_rates;
using higgs::generation::normalize_for_wer;

namespace {

std::shared_ptr<higgs::generation::GenerationScorer> make_asr(const higgs::Json& options) {
  higgs::Json node = options;
  node["type"] = "asr";
  auto plan = higgs::plan_recipe(higgs::Config(higgs::Json{{"scorers", {node}}}, "recipe.json"));
  higgs::ComponentBuilder builder(plan);
  return builder.build<higgs::generation::GenerationScorer>("scorers[0]");
}

higgs::generation::ScoredSample sample(std::vector<float> samples, const std::string& text) {
  higgs::generation::ScoredSample s;
  s.samples = std::move(samples);
  s.sample_rate = 24000;
  s.text = text;
  return s;
}

}  // namespace

TEST_CASE("WER normalisation as Seed-TTS-eval: case, punctuation but the apostrophe, spaces") {
  CHECK(normalize_for_wer("  Hello,   World!  It's 3:45 \u2014 \u201cfine\u201d.") ==
        "hello world it's 345 fine");
  CHECK(normalize_for_wer("Don\u2019t stop.") == "don't stop");
  CHECK(normalize_for_wer("\u4f60\u597d\uff0c\u4e16\u754c\u3002") == "\u4f60\u597d \u4e16\u754c");
  auto same = error_rates("Hello, world!", "hello world");
  CHECK(same.wer == 0.0);
  CHECK(same.cer == 0.0);
  // One deletion of 4 reference words; "sat" -> "sit" is one substitution of 11 characters.
  auto r = error_rates("The cat sat down.", "the cat sat");
  CHECK(r.words == 4);
  CHECK(r.word_errors == 1);
  CHECK(r.wer == doctest::Approx(0.25));
  auto c = error_rates("the cat sat", "the cat sit");
  CHECK(c.chars == 9);
  CHECK(c.char_errors == 1);
  CHECK(c.cer == doctest::Approx(1.0 / 9));
  CHECK(error_rates("one two", "").wer == 1.0);
  CHECK(error_rates("", "").wer == 0.0);
  CHECK(error_rates("", "extra words").wer == 1.0);
  CHECK(error_rates("a b", "x y z w").wer == 2.0);  // insertions can take WER past 1
}

TEST_CASE("asr scorer: espeak-ng speech is recognised, noise and silence score as errors") {
  higgs::test::TempDir dir("asr-scorer");
  auto asr = make_asr(higgs::Json::object());
  const std::vector<std::string> texts = {
      "The quick brown fox jumps over the lazy dog.", "Please call me tomorrow morning.",
      "I would like a cup of coffee.", "The weather is nice today.",
      "She sells sea shells by the sea shore."};
  double speech_wer = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string wav = dir.file("s" + std::to_string(i) + ".wav");
    // espeak-ng's en-us+f2 voice at 140 words a minute: PocketSphinx's model, trained on real
    // speech, hears it best of espeak-ng's voices (measured on these texts: mean WER 0.12; the
    // default male en-us voice 0.91, en-us+f3 0.62).
    auto r = higgs::test::run_command("espeak-ng -v en-us+f2 -s 140 -w " +
                                      higgs::test::shell_quote(wav) + " " +
                                      higgs::test::shell_quote(texts[i]));
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    higgs::LoadAudioOptions o;
    o.target_sample_rate = 24000;
    auto scores = asr->score(sample(higgs::load_audio(wav, o).samples, texts[i]));
    MESSAGE(texts[i] << " -> \"" << scores["asr_text"].get<std::string>() << "\" WER "
                     << scores["wer"].get<double>());
    CHECK(scores["cer"].get<double>() <= scores["wer"].get<double>() + 0.5);
    speech_wer += scores["wer"].get<double>() / double(texts.size());
  }
  std::mt19937 gen(3);
  std::normal_distribution<float> d(0.0f, 0.1f);
  std::vector<float> noise(3 * 24000);
  for (auto& v : noise) v = d(gen);
  const double noise_wer = asr->score(sample(noise, texts[0]))["wer"].get<double>();
  const auto silent = asr->score(sample(std::vector<float>(2 * 24000, 0.0f), texts[1]));
  MESSAGE("mean WER on espeak-ng speech " << speech_wer << ", noise " << noise_wer << ", silence "
                                          << silent["wer"].get<double>());
  CHECK(speech_wer < 0.35);
  CHECK(noise_wer >= 0.9);
  CHECK(silent["wer"].get<double>() >= 0.9);
  CHECK(speech_wer < noise_wer - 0.6);
}

TEST_CASE("asr scorer: a missing model is a recipe error naming the path and the package") {
  try {
    make_asr({{"model_dir", "/nonexistent/model"}});
    FAIL("no error");
  } catch (const std::exception& e) {
    const std::string m = e.what();
    CHECK(m.find("/nonexistent/model/en-us") != std::string::npos);
    CHECK(m.find("pocketsphinx-en-us") != std::string::npos);
  }
}
