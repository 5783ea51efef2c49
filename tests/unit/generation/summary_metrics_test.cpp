// The summary of generated samples and the eval metrics listen_samples adds to an evaluation
// (with_eval): means by hand over fabricated reports, per language and per speaker.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/generation/jobs.h"

using higgs::Json;

namespace {

Json report(const std::string& language, const std::string& speaker, bool audio, double wer,
            double speech, bool problem) {
  Json r = {{"audio_written", audio},
            {"stopped_by_itself", audio},
            {"duration_s", audio ? 2.0 : 0.0},
            {"problems", problem ? Json::array({"mostly silence or noise"}) : Json::array()},
            {"language", language},
            {"speaker", speaker}};
  if (audio) {
    r["quality"] = {{"speech_fraction", speech}, {"rms_dbfs", -20.0}};
    r["scores"] = {{"wer", wer}};
  }
  return r;
}

}  // namespace

TEST_CASE("eval metrics of listening samples: overall, per language and per speaker") {
  const std::vector<Json> reports = {
      report("en", "a", true, 0.1, 0.8, false), report("en", "b", true, 0.3, 0.6, false),
      report("de", "a", true, 0.5, 0.1, true), report("de", "b", false, 0, 0, true)};
  const Json s = higgs::generation::summarize_reports(reports);
  CHECK(s["samples"] == 4);
  CHECK(s["with_audio"] == 3);
  CHECK(s["with_problems"] == 2);
  CHECK(s["groups"]["language"]["de"]["samples"] == 2);
  const Json m = higgs::generation::eval_metrics_of(s);
  CHECK(m["eval/wer"].get<double>() == doctest::Approx(0.3));  // (0.1 + 0.3 + 0.5) / 3
  CHECK(m["eval/speech_fraction"].get<double>() == doctest::Approx(0.5));
  CHECK(m["eval/with_audio_fraction"].get<double>() == doctest::Approx(0.75));
  CHECK(m["eval/problem_fraction"].get<double>() == doctest::Approx(0.5));
  CHECK(m["eval/stop_rate"].get<double>() == doctest::Approx(0.75));
  CHECK(m["eval/language/en/wer"].get<double>() == doctest::Approx(0.2));
  CHECK(m["eval/language/de/wer"].get<double>() == doctest::Approx(0.5));  // one with audio
  CHECK(m["eval/language/de/with_audio_fraction"].get<double>() == doctest::Approx(0.5));
  CHECK(m["eval/speaker/a/wer"].get<double>() == doctest::Approx(0.3));
  CHECK(m["eval/speaker/b/speech_fraction"].get<double>() == doctest::Approx(0.6));
  // Without labels there are no groups.
  const Json plain = higgs::generation::summarize_reports({Json{{"audio_written", false}}});
  CHECK_FALSE(plain.contains("groups"));
  CHECK(higgs::generation::eval_metrics_of(plain).size() == 3);
}

TEST_CASE("jobs carry language and speaker labels, and other keys are still refused") {
  const auto jobs = higgs::generation::jobs_from_json(
      Json::parse(R"([{"text": "Hallo.", "language": "de", "speaker": "spk1"}, {"text": "Hi."}])"),
      "prompts");
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].language == "de");
  CHECK(jobs[0].speaker == "spk1");
  CHECK(jobs[1].language.empty());
  CHECK_THROWS_WITH(
      higgs::generation::jobs_from_json(Json::parse(R"([{"text": "x", "lang": "de"}])"), "p"),
      doctest::Contains("p[0]: unknown key \"lang\""));
  CHECK_THROWS_WITH(
      higgs::generation::jobs_from_json(Json::parse(R"([{"text": "x", "language": 5}])"), "p"),
      doctest::Contains("p[0]: \"language\" must be a string, not 5"));
}
