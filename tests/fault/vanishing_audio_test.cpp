// Fault injection on data (docs/reliability.md): audio files of a ChatML dataset are deleted in
// the middle of a run (by a test callback, at a fixed step); the real demo pipeline skips the
// samples that need them with a warning and trains to the end.
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include "framework/config/config.h"
#include "framework/run/runner.h"
#include "framework/train/callback.h"
#include "framework/train/trainer_state.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using higgs::Json;

namespace higgs::vanish_test {

/// Deletes files after a given step: the audio "vanishes" while training goes on.
struct DeleteFilesCallback : Callback {
  struct Options {
    int64_t at_step = 1;
    std::vector<std::string> files;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("at_step", o.at_step, "Step after which the files are deleted.");
    b.opt("files", o.files, "Files to delete.");
  }
  explicit DeleteFilesCallback(const Options& o) : o_(o) {}
  void on_step_end(TrainState& s) override {
    if (s.step != o_.at_step) return;
    for (const auto& f : o_.files) fs::remove(f);
  }
  Options o_;
};

// The demo assets (tiny tokenizers and model, espeak-ng data), made once into a folder of this
// test's own (~10 s) so it never races the other tests that make theirs.
std::string demo_assets() {
  const std::string src = HIGGS_SOURCE_DIR, py = HIGGS_PYTHON, run = HIGGS_RUN_PATH;
  const std::string demo = std::string(HIGGS_BINARY_DIR) + "/test_tmp/vanish-demo-assets";
  if (fs::exists(demo + "/model/config.json")) return demo;
  auto q = test::shell_quote;
  auto r = test::run_command(py + " " + q(src + "/recipes/demo/make_demo_data.py") + " " +
                             q(demo + "/data") +
                             " --speakers 2 --per-speaker 6 --german-speakers 0 > /dev/null");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  r = test::run_command(run + " init-audio-tokenizer --config " +
                        q(src + "/recipes/demo/tiny_audio_tokenizer.json") + " --out " +
                        q(demo + "/audio_tokenizer") + " --seed 3 > /dev/null");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  fs::create_directories(demo + "/model");
  r = test::run_command(py + " " + q(src + "/recipes/demo/make_tiny_model_config.py") + " " +
                        q(src + "/tests/golden/higgs_audio_v2_3b/config.json") + " " +
                        q(demo + "/data/special_tokens.json") + " \"$(wc -l < " +
                        q(demo + "/data/spm.vocab") + ")\" 256 " + q(demo + "/model/config.json") +
                        " > /dev/null");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return demo;
}

}  // namespace higgs::vanish_test

HIGGS_REGISTER(higgs::Callback, higgs::vanish_test::DeleteFilesCallback, "test_delete_files",
               "Test double: deletes files after a step.");

TEST_CASE("audio files that vanish mid-run are skipped with a warning and training carries on") {
  using namespace higgs::vanish_test;
  const std::string demo = demo_assets();
  higgs::test::TempDir dir("vanish");
  fs::copy(demo + "/data", dir.file("data"), fs::copy_options::recursive);
  const std::string data = dir.file("data/train.jsonl");

  // Target audio files used by exactly one training sample: deleting one loses one sample.
  std::map<std::string, int> uses;
  std::vector<std::string> targets;
  std::istringstream lines(higgs::test::read_text(data));
  size_t n_samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    ++n_samples;
    Json s = Json::parse(line);
    for (const auto& m : s["messages"])
      if (m["content"].is_object() && m["content"].contains("audio_url"))
        ++uses[m["content"]["audio_url"].get<std::string>()];
    targets.push_back(s["messages"].back()["content"]["audio_url"]);
  }
  std::vector<std::string> doomed;
  for (const auto& t : targets)
    if (uses[t] == 1 && doomed.size() < 2)
      doomed.push_back((fs::path(data).parent_path() / t).string());
  REQUIRE(doomed.size() == 2);
  REQUIRE(n_samples >= 8);

  higgs::LoadOptions lo;
  lo.tla_str = {{"demo_dir", demo}};
  auto cfg = higgs::load_recipe(
      std::string(HIGGS_SOURCE_DIR) + "/recipes/demo/tiny_zero_shot.jsonnet", lo);
  Json& r = cfg.root();
  const int64_t steps_per_epoch = static_cast<int64_t>(n_samples) / 4;
  r["output_dir"] = dir.file("run");
  r["threads"] = 1;
  r["train_data"]["path"] = data;
  r["train_data"]["max_bad_fraction"] = 0.5;
  r.erase("eval_data");
  r["trainer"]["max_steps"] = 3 * steps_per_epoch;
  r["trainer"]["log_every"] = 1;
  r["trainer"]["eval_every"] = 0;
  r["trainer"]["save_every"] = 0;
  r["trainer"]["num_workers"] = 1;
  r["trainer"]["progress_bar"] = false;
  // After the first epoch every file has been read (and its codes cached); then two vanish.
  r["callbacks"] = Json::array(
      {Json{{"type", "test_delete_files"}, {"at_step", steps_per_epoch}, {"files", doomed}}});

  REQUIRE(higgs::run_plan(higgs::plan_recipe(cfg), {}) == 0);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });  // train.log
  for (const auto& f : doomed) CHECK_FALSE(fs::exists(f));
  const std::string log = higgs::test::read_text(dir.file("run/train.log"));
  for (const auto& f : doomed) {
    // Each lost sample is named with its audio file and the reason, once per later epoch.
    const std::string warning = "(" + f + "): cannot read audio: " + f + ": file not found";
    CHECK_MESSAGE(log.find(warning) != std::string::npos, log);
  }
  CHECK(log.find("training samples were skipped") != std::string::npos);
  // Every planned step ran and the final weights (the demo trains a LoRA adapter) were written.
  int64_t steps = 0;
  std::istringstream metrics(higgs::test::read_text(dir.file("run/metrics.jsonl")));
  for (std::string line; std::getline(metrics, line);)
    if (!line.empty() && Json::parse(line).contains("train/audio_loss")) ++steps;
  CHECK(steps == 3 * steps_per_epoch);
  CHECK(fs::exists(dir.file("run/final/adapter_model.safetensors")));
}
