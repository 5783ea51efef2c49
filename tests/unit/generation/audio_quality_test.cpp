// The silence and noise measures of generated clips (components/generation/audio_quality.h) on
// signals with known answers: real speech from espeak-ng, white noise, digital silence, speech
// padded with silence, a clipped tone; and the problems a listener would hear, from reports.
#include <torch/torch.h>

#include "components/generation/audio_quality.h"

#include <cmath>
#include <random>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "tests/support/test_support.h"

using higgs::generation::audible_problems;
using higgs::generation::measure_audio_quality;

namespace {

std::vector<float> espeak(const std::string& text, const std::string& dir) {
  const std::string wav = dir + "/speech.wav";
  auto r = higgs::test::run_command("espeak-ng -w " + higgs::test::shell_quote(wav) + " " +
                                    higgs::test::shell_quote(text));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  higgs::LoadAudioOptions o;
  o.target_sample_rate = 24000;
  return higgs::load_audio(wav, o).samples;
}

std::vector<float> white_noise(size_t n, float amplitude) {
  std::mt19937 gen(7);
  std::normal_distribution<float> d(0.0f, amplitude);
  std::vector<float> x(n);
  for (auto& v : x) v = d(gen);
  return x;
}

}  // namespace

TEST_CASE("speech is mostly speech, white noise and silence are not") {
  higgs::test::TempDir dir("audio-quality");
  const auto speech = espeak("The quick brown fox jumps over the lazy dog.", dir.path());
  const auto q = measure_audio_quality(speech, 24000);
  CHECK(q.duration_s == doctest::Approx(double(speech.size()) / 24000));
  CHECK(q.speech_fraction > 0.5);
  CHECK(q.speech_s + q.non_speech_s == doctest::Approx(q.duration_s));
  CHECK(q.rms_dbfs > -35);
  CHECK(q.rms_dbfs < q.peak_dbfs);
  CHECK(q.clipping_fraction < 0.001);

  const auto noise = measure_audio_quality(white_noise(3 * 24000, 0.1f), 24000);
  CHECK(noise.speech_fraction < 0.05);
  CHECK(noise.rms_dbfs == doctest::Approx(-20.0).epsilon(0.01));  // 20 log10(0.1)

  const auto silence = measure_audio_quality(std::vector<float>(24000, 0.0f), 24000);
  CHECK(silence.speech_fraction == 0.0);
  CHECK(silence.rms_dbfs == -120.0);
  CHECK(silence.leading_silence_s == doctest::Approx(1.0));

  // One second of silence on each side of the speech: the edges are measured.
  std::vector<float> padded(24000, 0.0f);
  padded.insert(padded.end(), speech.begin(), speech.end());
  padded.insert(padded.end(), 24000, 0.0f);
  const auto p = measure_audio_quality(padded, 24000);
  CHECK(p.leading_silence_s >= 1.0);
  CHECK(p.leading_silence_s < 1.0 + q.leading_silence_s + 0.05);
  CHECK(p.trailing_silence_s >= 1.0);
  CHECK(p.speech_s == doctest::Approx(q.speech_s).epsilon(0.05));
}

TEST_CASE("a tone driven past full scale clips, a quiet one does not") {
  std::vector<float> loud(24000), quiet(24000);
  for (size_t i = 0; i < loud.size(); ++i) {
    const double s = std::sin(2 * M_PI * 220.0 * double(i) / 24000);
    loud[i] = static_cast<float>(std::clamp(1.5 * s, -1.0, 1.0));
    quiet[i] = static_cast<float>(0.25 * s);
  }
  const auto l = measure_audio_quality(loud, 24000);
  // |1.5 sin| >= 0.999 for the part of each period where |sin| >= 0.666: 1 - 2 asin(0.666)/pi.
  CHECK(l.clipping_fraction ==
        doctest::Approx(1.0 - 2.0 * std::asin(0.999 / 1.5) / M_PI).epsilon(0.02));
  CHECK(l.peak_dbfs == doctest::Approx(0.0).epsilon(0.001));
  const auto q = measure_audio_quality(quiet, 24000);
  CHECK(q.clipping_fraction == 0.0);
  CHECK(q.rms_dbfs == doctest::Approx(20 * std::log10(0.25 / std::sqrt(2.0))).epsilon(0.01));
}

TEST_CASE("problems a listener would hear: no audio, never ends, silence or noise, cut short") {
  using higgs::Json;
  CHECK(audible_problems(Json{{"audio_written", false}, {"stop", "text_end"}}) ==
        std::vector<std::string>{"no audio: the model never left text mode (stop text_end)"});
  Json good = {{"audio_written", true},     {"stop", "audio_eos"},
               {"stopped_by_itself", true}, {"duration_s", 2.0},
               {"expected_s", 2.2},         {"quality", {{"speech_fraction", 0.7}}}};
  CHECK(audible_problems(good).empty());
  Json noisy = good;
  noisy["quality"]["speech_fraction"] = 0.04;
  noisy["stop"] = "max_frames";
  noisy["stopped_by_itself"] = false;
  CHECK(audible_problems(noisy) ==
        std::vector<std::string>{"never ends: decoding hit max_frames without an end of audio",
                                 "mostly silence or noise (speech 4% of 2.0 s)"});
  Json short_clip = good;
  short_clip["duration_s"] = 0.5;
  CHECK(audible_problems(short_clip) ==
        std::vector<std::string>{"cut short (0.5 s for a text of about 2.2 s)"});
  Json clipped = good;
  clipped["quality"]["clipping_fraction"] = 0.025;
  CHECK(audible_problems(clipped) == std::vector<std::string>{"clipping (2.5% of samples)"});
}
