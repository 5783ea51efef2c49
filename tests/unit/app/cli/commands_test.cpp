#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include "framework/registry/registry.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using higgs::test::run_higgs;

TEST_CASE("higgs-run registers exactly the built-in components") {
  const std::map<std::string, std::set<std::string>> expected{
      {"dataset", {"chatml", "zero_shot_voice_cloning"}},
      {"collator", {"higgs_audio"}},
      {"model", {"higgs_audio"}},
      {"text_tokenizer", {"byte_level_bpe", "llama3_bpe", "sentencepiece"}},
      {"audio_tokenizer", {"higgs_audio"}},
      {"feature_extractor", {"whisper_log_mel"}},
      {"adapter", {"lora"}},
      {"freezing", {"freeze_lower_layers", "freeze_modules", "freeze_pattern", "train_only"}},
      {"optimizer", {"adamw", "sgd"}},
      {"scheduler", {"constant", "cosine", "linear"}},
      {"callback", {"early_stopping", "listen_samples", "metrics_csv", "tensorboard"}},
      {"scorer", {"asr", "command", "speaker_similarity"}},
      {"trainer", {"default"}},
      {"sampler", {"curriculum", "random", "token_budget"}},
      {"augmentation", {"band_limit", "gain", "noise", "reverb", "speed", "tempo"}},
      {"task", {"data_check", "evaluate", "export", "generate", "pretokenize", "train"}},
  };
  // One `list --json` for all kinds (the text form is checked in machine_output_test.cpp).
  auto r = run_higgs("list --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  std::map<std::string, std::set<std::string>> listed;
  const auto list = nlohmann::json::parse(r.output);
  for (const auto& k : list["kinds"]) {
    auto& names = listed[k["kind"].get<std::string>()];
    for (const auto& c : k["components"]) names.insert(c["name"].get<std::string>());
  }
  for (const auto& [kind, names] : expected) CHECK_MESSAGE(listed[kind] == names, kind);
  std::set<std::string> kinds;
  for (const auto& [kind, names] : expected) kinds.insert(kind);
  const auto& all = higgs::component_kinds();
  CHECK(std::set<std::string>(all.begin(), all.end()) == kinds);
  CHECK(listed.size() == kinds.size());
  auto bad = run_higgs("list optimiser");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("did you mean \"optimizer\"") != std::string::npos);
}

TEST_CASE("checked-in schemas match the registered components") {
  higgs::test::TempDir dir("schemas");
  auto r = run_higgs("schema --out " + dir.path());
  REQUIRE(r.exit_code == 0);
  std::string checked_in = std::string(HIGGS_SOURCE_DIR) + "/schemas";
  std::set<std::string> generated, stored;
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    if (e.is_regular_file()) generated.insert(fs::relative(e.path(), dir.path()).string());
  for (const auto& e : fs::recursive_directory_iterator(checked_in))
    if (e.is_regular_file() && e.path().extension() == ".json")
      stored.insert(fs::relative(e.path(), checked_in).string());
  CHECK_MESSAGE(generated == stored,
                "schemas/ is stale: run `build/higgs-run schema --out schemas` and commit it");
  for (const auto& f : generated) {
    if (!stored.count(f)) continue;
    CHECK_MESSAGE(
        higgs::test::read_text(dir.file(f)) == higgs::test::read_text(checked_in + "/" + f),
        "schemas/" << f << " is stale: run `build/higgs-run schema --out schemas`");
  }
}

TEST_CASE("describe, version, usage errors and exit codes") {
  auto d = run_higgs("describe trainer/default");
  CHECK(d.exit_code == 0);
  CHECK(d.output.find("grad_accum_steps (integer, default 1, min 1)") != std::string::npos);
  CHECK(d.output.find("defined in framework/train/default_trainer.cpp") != std::string::npos);
  CHECK(run_higgs("describe trainer/defualt").output.find("did you mean \"default\"") !=
        std::string::npos);
  CHECK(run_higgs("describe trainer/defualt").exit_code == 2);
  CHECK(run_higgs("version").output.rfind("higgs-run 0.1.0", 0) == 0);
  CHECK(run_higgs("--no-such-flag").exit_code == 2);
  auto missing = run_higgs("validate /nonexistent/recipe.jsonnet");
  CHECK(missing.exit_code == 2);
  CHECK(missing.output.find("/nonexistent/recipe.jsonnet: recipe file not found") !=
        std::string::npos);
}

TEST_CASE("info: version, LibTorch, CUDA, cuDNN, backends and threads as this build has them") {
  auto r = run_higgs("info --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  CHECK(j["version"] == "0.1.0");
  CHECK_FALSE(j["git_revision"].get<std::string>().empty());
  CHECK(j["libtorch"]["version"] == TORCH_VERSION);  // the LibTorch this test was compiled with
  CHECK(j["libtorch"]["version"].get<std::string>().rfind("2.", 0) == 0);
  const bool cuda_build = HIGGS_TEST_WITH_CUDA;
  CHECK(j["cuda"]["compiled"] == cuda_build);
  CHECK(j["libtorch"]["cuda_build"] == cuda_build);
  const auto backends = j["distributed_backends"].get<std::vector<std::string>>();
  CHECK(std::count(backends.begin(), backends.end(), "nccl") == (cuda_build ? 1 : 0));
  if (cuda_build) {
    CHECK(j["cuda"]["runtime_version"].get<std::string>().rfind("13.", 0) == 0);  // cu130 wheel
    CHECK(j["cuda"]["cudnn_version"].get<std::string>().rfind("9.", 0) == 0);
  }
  CHECK(j["cuda"]["available"] == !j["cuda"]["devices"].empty());
  for (const auto& d : j["cuda"]["devices"]) {
    CHECK_FALSE(d["name"].get<std::string>().empty());
    CHECK(d["memory_gib"].get<double>() > 0.0);
  }
  CHECK(j["threads"]["hardware"] == std::thread::hardware_concurrency());
  CHECK(j["threads"]["intra_op"].get<int>() >= 1);
  // The text form says the same.
  auto text = run_higgs("info");
  REQUIRE(text.exit_code == 0);
  CHECK(text.output.find("LibTorch    " + std::string(TORCH_VERSION)) != std::string::npos);
  CHECK(text.output.find(cuda_build ? "CUDA        compiled yes" : "CUDA        compiled no") !=
        std::string::npos);
  CHECK(run_higgs("--version").output.rfind("higgs-run 0.1.0 (git ", 0) == 0);
}

TEST_CASE("conventions: --version and -V, did-you-mean for commands and options, help NAME") {
  // The same text three ways, naming the LibTorch this test was compiled with.
  const auto version = run_higgs("version");
  REQUIRE(version.exit_code == 0);
  CHECK(version.output.rfind("higgs-run 0.1.0 (git ", 0) == 0);
  CHECK(version.output.find("\nLibTorch " + std::string(TORCH_VERSION) + ", ") !=
        std::string::npos);
  CHECK(version.output.find(HIGGS_TEST_WITH_CUDA ? ", CUDA 13." : ", CPU only (no CUDA)") !=
        std::string::npos);
  CHECK(run_higgs("--version").output == version.output);
  CHECK(run_higgs("-V").output == version.output);
  CHECK(run_higgs("-V").exit_code == 0);

  // A mistyped command: a usage error (2) that names the command meant, not a missing recipe.
  auto typo = run_higgs("valdiate r.jsonnet");
  CHECK(typo.exit_code == 2);
  CHECK(typo.output.find("error: unknown command \"valdiate\" (did you mean \"validate\"?)") !=
        std::string::npos);
  // A word far from every command, or one that looks like a path, is a recipe.
  CHECK(run_higgs("zzzzzz").output.find("zzzzzz: recipe file not found") != std::string::npos);
  CHECK(run_higgs("valdiate.jsonnet").output.find("valdiate.jsonnet: recipe file not found") !=
        std::string::npos);
  // A mistyped option of the command (or of the program).
  auto opt = run_higgs("run r.jsonnet --dri-run");
  CHECK(opt.exit_code == 2);
  CHECK(opt.output.find("error: unknown option --dri-run (did you mean \"--dry-run\"?)") !=
        std::string::npos);
  CHECK(run_higgs("--plugn x.so list").output.find("(did you mean \"--plugin\"?)") !=
        std::string::npos);
  CHECK(run_higgs("list --zzzzzzzz").output.find("error: unknown option --zzzzzzzz\n") !=
        std::string::npos);

  // help: the program, a command, a kind (its list), KIND/NAME (its describe).
  auto help = run_higgs("help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("Subcommands:") != std::string::npos);
  auto help_validate = run_higgs("help validate");
  CHECK(help_validate.exit_code == 0);
  CHECK(help_validate.output.find("Usage: validate") != std::string::npos);
  CHECK(run_higgs("help optimizer/adamw").output == run_higgs("describe optimizer/adamw").output);
  CHECK(run_higgs("help scheduler").output == run_higgs("list scheduler").output);
  auto help_typo = run_higgs("help optimzer");
  CHECK(help_typo.exit_code == 2);
  CHECK(help_typo.output.find("(did you mean \"optimizer\"?)") != std::string::npos);
  CHECK(run_higgs("help optimizer/adamww").exit_code == 2);
}

TEST_CASE("print-config shows provenance, diff compares recipes") {
  higgs::test::TempDir dir("print-config");
  // threads and batch_size are given at their default values; trainer's type is implied.
  higgs::test::write_text(dir.file("a.yaml"),
                          "seed: 3\nthreads: 0\ntrainer:\n  max_steps: 5\n  batch_size: 8\n");
  higgs::test::write_text(dir.file("b.jsonnet"),
                          "{ seed: 4, trainer: { max_steps: 5, batch_size: 2 } }\n");
  auto p = run_higgs("print-config " + dir.file("a.yaml") + " --minimal --set trainer.log_every=3");
  REQUIRE(p.exit_code == 0);
  CHECK(p.output.find("seed: 3    # recipe (" + dir.file("a.yaml") + ")") != std::string::npos);
  CHECK(p.output.find("trainer.log_every: 3    # override (--set trainer.log_every=3)") !=
        std::string::npos);
  CHECK(p.output.find("trainer.max_steps: 5    # recipe") != std::string::npos);
  CHECK(p.output.find("batch_size") == std::string::npos);  // defaults are not shown,
  CHECK(p.output.find("threads") == std::string::npos);     // even when the recipe repeats them
  CHECK(p.output.find("trainer.type") == std::string::npos);
  CHECK(p.output.find("task") == std::string::npos);
  auto full = run_higgs("print-config " + dir.file("a.yaml"));
  CHECK(full.output.find("\"batch_size\": 8") != std::string::npos);
  auto diff = run_higgs("diff " + dir.file("a.yaml") + " " + dir.file("b.jsonnet"));
  CHECK(diff.exit_code == 1);
  CHECK(diff.output.find("~ seed: 3 -> 4") != std::string::npos);
  CHECK(diff.output.find("~ trainer.batch_size: 8 -> 2") != std::string::npos);
  CHECK(diff.output.find("2 differences") != std::string::npos);
  auto typo = run_higgs("validate " + dir.file("a.yaml") + " --set trainer.max_step=4");
  CHECK(typo.exit_code == 2);
  CHECK(typo.output.find(
            "trainer.max_step: unknown key \"max_step\" (did you mean \"max_steps\"?)") !=
        std::string::npos);
}

TEST_CASE("validate reports every recipe error at once with suggestions, exit code 2") {
  higgs::test::TempDir dir("validate-typos");
  higgs::test::write_text(dir.file("bad.jsonnet"), higgs::test::kRecipeWithThreeErrors);
  auto r = run_higgs("validate " + dir.file("bad.jsonnet"));
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("3 errors") != std::string::npos);
  CHECK(r.output.find("optimizer.lr: expected a number, got string \"fast\"") != std::string::npos);
  CHECK(
      r.output.find(
          "optimizer.weight_decy: unknown key \"weight_decy\" (did you mean \"weight_decay\"?)") !=
      std::string::npos);
  CHECK(r.output.find("scheduler.type: unknown scheduler \"cosin\" (did you mean \"cosine\"?)") !=
        std::string::npos);
  auto m = run_higgs("print-config " + dir.file("bad.jsonnet") +
                     " --minimal --set optimizer.lr=0.001 --set optimizer.weight_decy=null --set "
                     "scheduler.type=cosine");
  // weight_decy is still a key of the recipe, so the recipe is still refused...
  CHECK(m.exit_code == 2);
  higgs::test::write_text(dir.file("good.jsonnet"),
                          "{ optimizer: { type: 'adamw' }, scheduler: 'cosine' }\n");
  auto g =
      run_higgs("print-config " + dir.file("good.jsonnet") + " --minimal --set optimizer.lr=0.001");
  REQUIRE(g.exit_code == 0);
  CHECK(g.output.find("optimizer.lr: 0.001    # override (--set optimizer.lr=0.001)") !=
        std::string::npos);
  CHECK(g.output.find("optimizer.betas") == std::string::npos);
  auto desc = run_higgs("describe optimizer/adamw");
  CHECK(desc.output.find("weight_decay (number, default 0.01") != std::string::npos);
}
