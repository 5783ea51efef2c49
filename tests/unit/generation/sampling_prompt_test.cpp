#include <torch/torch.h>

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include "components/chatml/chatml_layout.h"
#include "components/generation/checks.h"
#include "components/generation/prompt.h"
#include "components/generation/sampling.h"
#include "framework/run/component_builder.h"
#include "tests/unit/chatml/fake_text_tokenizer.h"

namespace higgs::sampling_prompt_test {

using namespace higgs::generation;
const float kInf = std::numeric_limits<float>::infinity();

TEST_CASE("process_logits: temperature, top-k and top-p as transformers' warpers") {
  SamplingOptions o;
  o.temperature = 2.0;
  o.top_k = 2;
  o.top_p = 1.0;
  auto s = process_logits(torch::tensor({1.f, 3.f, 2.f, 0.f}), o);
  CHECK(torch::equal(s, torch::tensor({-kInf, 1.5f, 1.0f, -kInf})));
  // top-p on probabilities 0.1 / 0.6 / 0.3: ascending cumulative 0.1, 0.4, 1.0.
  auto logits = torch::log(torch::tensor({0.1f, 0.6f, 0.3f}));
  o = SamplingOptions{};
  o.temperature = 1.0;
  o.top_k = 0;
  o.top_p = 0.5;  // removes cumulative <= 0.5: 0.1 and 0.3
  s = process_logits(logits, o);
  CHECK(std::isinf(s[0].item<float>()));
  CHECK(s[1].item<float>() == doctest::Approx(std::log(0.6)));
  CHECK(std::isinf(s[2].item<float>()));
  o.top_p = 0.7;  // removes cumulative <= 0.3: only 0.1
  s = process_logits(logits, o);
  CHECK(std::isinf(s[0].item<float>()));
  CHECK(std::isfinite(s[2].item<float>()));
  o.top_p = 0.01;  // the most likely token always stays
  s = process_logits(logits, o);
  CHECK(std::isfinite(s[1].item<float>()));
  CHECK(std::isinf(s[2].item<float>()));
}

TEST_CASE(
    "Sampler: greedy picks the argmax, RAS redraws repeated codes from the raw distribution") {
  SamplingOptions o;
  o.temperature = 0;
  Sampler greedy(o, 1);
  CHECK(greedy.sample_text(torch::tensor({0.f, 5.f, 1.f})) == 1);
  // Two codebooks; codebook 0 prefers code 1 slightly (raw probabilities ~0.52 / 0.48).
  auto logits = torch::tensor({{0.f, 10.08f, 10.f, -5.f}, {0.f, 0.f, 0.f, 9.f}});
  auto no_repeat = torch::tensor({{0, 2, 3}, {0, 0, 1}}, torch::kLong);
  auto repeat = torch::tensor({{1, 2, 1}, {0, 0, 1}}, torch::kLong);  // code 1 twice in codebook 0
  int redrawn = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Sampler s(o, seed);
    CHECK(s.sample_audio(logits, no_repeat) == std::vector<int64_t>{1, 3});
    auto f = s.sample_audio(logits, repeat);
    CHECK(f[1] == 3);  // codebook 1 has no repeat: untouched
    CHECK((f[0] == 1 || f[0] == 2));
    redrawn += f[0] == 2;
  }
  CHECK(redrawn > 5);  // about half of the redraws pick code 2
  o.ras_window = 0;    // RAS off: always the argmax
  Sampler off(o, 3);
  for (int i = 0; i < 10; ++i)
    CHECK(off.sample_audio(logits, repeat) == std::vector<int64_t>{1, 3});
}

TEST_CASE("Sampler: seeded sampling is reproducible and follows the distribution") {
  SamplingOptions o;
  o.top_k = 0;
  o.top_p = 1.0;
  auto logits = torch::log(torch::tensor({0.2f, 0.8f}));
  Sampler a(o, 11), b(o, 11);
  int ones = 0;
  for (int i = 0; i < 400; ++i) {
    int64_t x = a.sample_text(logits);
    CHECK(x == b.sample_text(logits));
    ones += x == 1;
  }
  CHECK(ones > 280);
  CHECK(ones < 360);
}

TEST_CASE("generation prompt: the layout examples/generation.py builds (spec 6.1)") {
  higgs::test::FakeTextTokenizer tok;
  PromptSpec spec;
  spec.scene = "Audio is recorded from a quiet room.";
  spec.references.push_back({"REF TEXT", torch::zeros({8, 3}, torch::kLong)});
  spec.text = "TARGET";
  Prompt p = build_prompt(spec);
  auto t = higgs::prepare_chatml_sample(p.sample, tok);
  auto post = tok.encode(generation_postfix(false));
  t.input_ids.insert(t.input_ids.end(), post.begin(), post.end());
  CHECK(
      tok.decode(t.input_ids) ==
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nGenerate audio following "
      "instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a quiet "
      "room.\n<|scene_desc_end|>"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nREF TEXT<|eot_id|><|start_header_id|>"
      "assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|><|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nTARGET<|eot_id|><|start_header_id|>assistant"
      "<|end_header_id|>\n\n");
  CHECK(p.codes.size() == 1);
  CHECK(generation_postfix(true) ==
        "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|>");

  // Several references are tagged; generated chunks follow as context.
  spec.references.push_back({"SECOND", torch::zeros({8, 2}, torch::kLong)});
  spec.history.push_back({"EARLIER", torch::zeros({8, 4}, torch::kLong)});
  spec.scene = "";
  p = build_prompt(spec);
  t = higgs::prepare_chatml_sample(p.sample, tok);
  CHECK(
      tok.decode(t.input_ids) ==
      "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n[SPEAKER0] REF TEXT<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n[SPEAKER1] SECOND<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nEARLIER<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|>"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTARGET<|eot_id|>");
  CHECK(p.codes.size() == 3);
  CHECK(p.codes[2].size(1) == 4);
}

TEST_CASE("generation prompt: references as audio-in items of the system message") {
  higgs::test::FakeTextTokenizer tok;
  PromptSpec spec;
  spec.scene = "A quiet room.";
  spec.reference_in_system = true;
  spec.references.push_back({"ignored", torch::zeros({8, 3}, torch::kLong)});
  spec.references.push_back({"ignored", torch::zeros({8, 5}, torch::kLong)});
  spec.text = "Hi.";
  auto t = higgs::prepare_chatml_sample(build_prompt(spec).sample, tok);
  CHECK(tok.decode(t.input_ids) ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nGenerate audio following "
        "instruction.\n\n<|scene_desc_start|>\nA quiet room.\n\nSPEAKER0: <|audio_bos|><|AUDIO|>"
        "<|audio_eos|>\nSPEAKER1: <|audio_bos|><|AUDIO|><|audio_eos|>\n<|scene_desc_end|><|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi.<|eot_id|>");
  spec.references.clear();
  CHECK_THROWS_AS(build_prompt(spec), std::invalid_argument);
}

TEST_CASE("split_text_chunks cuts at sentence ends within the word limit") {
  auto c = split_text_chunks("One two three. Four five six seven. Eight nine.", 5);
  REQUIRE(c.size() == 3);
  CHECK(c[0] == "One two three.");
  CHECK(c[1] == "Four five six seven.");
  CHECK(c[2] == "Eight nine.");
  CHECK(split_text_chunks("a b c", 0) == std::vector<std::string>{"a b c"});
  c = split_text_chunks("a b c d e f g", 3);  // no sentence end: hard cuts
  CHECK(c == std::vector<std::string>{"a b c", "d e f", "g"});
}

TEST_CASE("generation checks: expected duration, silence ratio") {
  CHECK(expected_seconds("Hello, world!") == doctest::Approx(10.0 / 14.0));
  std::vector<float> wav(24000, 0.f);  // 1 s: first half silent, second half a 0.1 sine
  for (size_t i = 12000; i < wav.size(); ++i) wav[i] = 0.1f * std::sin(0.05f * float(i));
  CHECK(silence_ratio(wav, 24000) == doctest::Approx(0.5));
  auto j = basic_checks("Hello, world!", wav, 24000);
  CHECK(j["duration_s"].get<double>() == doctest::Approx(1.0));
  CHECK(j["duration_ratio"].get<double>() == doctest::Approx(1.4));
}

namespace {
struct LenScorer : GenerationScorer {
  std::string key;
  explicit LenScorer(std::string k) : key(std::move(k)) {}
  Json score(const ScoredSample& s) override { return {{key, s.samples.size()}}; }
};
struct FailingScorer : GenerationScorer {
  Json score(const ScoredSample&) override { throw std::runtime_error("no ASR model here"); }
};
RecipePlan plan_of(const Json& j) { return plan_recipe(Config(j, "r.json")); }
}  // namespace

TEST_CASE("scorers: metrics merged per sample, failures kept, means over samples") {
  ScoredSample s;
  s.samples.assign(480, 0.f);
  std::vector<NamedScorer> scorers{{"scorers[0]", std::make_shared<LenScorer>("n")},
                                   {"scorers[1]", std::make_shared<FailingScorer>()},
                                   {"scorers[2]", std::make_shared<LenScorer>("m")}};
  Json out = run_scorers(scorers, s);
  CHECK(out["n"].get<int64_t>() == 480);
  CHECK(out["m"].get<int64_t>() == 480);
  CHECK(out["errors"]["scorers[1]"].get<std::string>() == "no ASR model here");
  scorers[2].scorer = std::make_shared<LenScorer>("n");  // a clash: kept once, reported
  out = run_scorers(scorers, s);
  CHECK(out["n"].get<int64_t>() == 480);
  CHECK_FALSE(out.contains("m"));
  CHECK(out["errors"]["scorers[2]"].get<std::string>() ==
        "gives the metric \"n\" that scorers[0] gave (dropped here; rename one)");
  std::vector<Json> reports{{{"scores", {{"wer", 0.5}, {"note", "x"}}}},
                            {{"scores", {{"wer", 0.25}, {"sim", 0.9}}}},
                            {{"audio_written", false}}};
  Json m = mean_scores(reports);
  CHECK(m["wer"]["mean"].get<double>() == doctest::Approx(0.375));
  CHECK(m["wer"]["n"].get<int64_t>() == 2);
  CHECK(m["sim"]["n"].get<int64_t>() == 1);
  CHECK_FALSE(m.contains("note"));
}

TEST_CASE("scorer `command`: request on stdin, last stdout line is the metrics") {
  const std::string script =
      "read -r req; echo chatter; echo '{\"bytes\": '\"${#req}\"', \"arg\": \"'$0'\"}'";
  auto plan = plan_of(
      {{"scorers",
        {{{"type", "command"}, {"command", {"/bin/sh", "-c", script, "A1"}}},
         {{"type", "command"}, {"command", {"/bin/sh", "-c", "exit 3"}}},
         {{"type", "command"}, {"command", {"/bin/sh", "-c", "echo not json"}}},
         {{"type", "command"}, {"command", {"/bin/sh", "-c", "sleep 5"}}, {"timeout_s", 0.2}}}}});
  ComponentBuilder builder(plan);
  auto scorers = recipe_scorers(builder);
  REQUIRE(scorers.size() == 4);
  CHECK(scorers[3].name == "scorers[3]");
  ScoredSample s;
  s.wav = "out/a.wav";
  s.text = "Hello.";
  s.ref_audio = {"ref.wav"};
  s.ref_text = {"Ref."};
  s.samples.assign(24000, 0.f);
  s.sample_rate = 24000;
  const std::string request =
      Json{{"wav", "out/a.wav"},   {"text", "Hello."},     {"ref_audio", {"ref.wav"}},
           {"ref_text", {"Ref."}}, {"sample_rate", 24000}, {"duration_s", 1.0}}
          .dump();
  Json out = run_scorers(scorers, s);
  CHECK(out["bytes"].get<size_t>() == request.size());  // the request, one line
  CHECK(out["arg"].get<std::string>() == "A1");
  CHECK(out["errors"]["scorers[1]"].get<std::string>() ==
        "/bin/sh: exited with status 3 (its messages are above)");
  CHECK(out["errors"]["scorers[2]"].get<std::string>() ==
        "/bin/sh: last line of its output is not a JSON object: not json");
  CHECK(out["errors"]["scorers[3]"].get<std::string>().find("timeout_s") != std::string::npos);
}

TEST_CASE("scorer `command`: a program that is not there is a recipe error") {
  auto plan = plan_of({{"scorers", {{{"type", "command"}, {"command", {"no-such-asr-program"}}}}}});
  ComponentBuilder builder(plan);
  CHECK_THROWS_WITH(recipe_scorers(builder),
                    doctest::Contains("no-such-asr-program is not on PATH"));
  auto plan2 = plan_of({{"scorers", {{{"type", "command"}, {"command", {"/nonexistent/asr"}}}}}});
  ComponentBuilder builder2(plan2);
  CHECK_THROWS_WITH(recipe_scorers(builder2),
                    doctest::Contains("/nonexistent/asr is not an executable"));
}

}  // namespace higgs::sampling_prompt_test
