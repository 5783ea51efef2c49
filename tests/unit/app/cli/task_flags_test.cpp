// A task's options become command-line flags with the same names, types, defaults and help, and
// only the flags given reach the task's recipe object.
// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "app/cli/task_flags.h"

#include <filesystem>
#include <optional>

#include <CLI/CLI.hpp>

#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"

using higgs::Json;

namespace task_flags_test {

struct FlagsTask : higgs::Task {
  struct Options {
    std::string out;
    bool verbose = false;
    bool use_cache = true;
    bool normalize = true;
    int64_t steps = 4;
    double temperature = 1.0;
    std::string precision = "fp32";
    std::vector<std::string> ref_audio;
    std::optional<int64_t> max_batches;
    Json extra = Json::object();
  };
  static void bind(higgs::Binder& b, Options& o) {
    b.req("out", o.out, "Where to write.");
    b.opt("verbose", o.verbose, "Say more.");
    b.opt("use_cache", o.use_cache, "KV cache.").flag("no-cache");
    b.opt("normalize", o.normalize, "Normalise texts.");
    b.opt("steps", o.steps, "Steps.").min(1);
    b.opt("temperature", o.temperature, "Temperature.");
    b.choice("precision", o.precision, {"fp32", "bf16"}, "Precision.");
    b.opt("ref_audio", o.ref_audio, "Reference clips.").cli_path();
    b.opt("max_batches", o.max_batches, "Batches.");
    b.opt("extra", o.extra, "Anything.");
  }
  explicit FlagsTask(const Options&) {}
  int run(higgs::TaskContext&) override { return 0; }
};
HIGGS_REGISTER(higgs::Task, FlagsTask, "test_flags_task", "Test double.");

// Parses `args` (after the command name) into a fresh command with the task's flags.
Json parse(std::vector<std::string> args, std::set<std::string> skip = {}) {
  CLI::App app;
  auto* cmd = app.add_subcommand("cmd");
  higgs::cli::TaskFlags flags(cmd, "test_flags_task", skip);
  args.insert(args.begin(), "cmd");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return flags.task_json();
}

TEST_CASE("task flags: one per option, named after it, only the given ones in the task") {
  CHECK(higgs::cli::flag_name("max_text_tokens") == "max-text-tokens");
  CHECK(parse({"--out", "o.wav"}) == Json{{"type", "test_flags_task"}, {"out", "o.wav"}});
  const Json all =
      parse({"--out", "x", "--verbose", "--no-cache", "--no-normalize", "--steps", "12",
             "--temperature", "0.5", "--precision", "bf16", "--ref-audio", "a.wav", "--ref-audio",
             "/abs/b.wav", "--max-batches", "3", "--extra", "{\"k\": [1, 2]}"});
  CHECK(all["verbose"] == true);
  CHECK(all["use_cache"] == false);  // named by .flag("no-cache")
  CHECK(all["normalize"] == false);  // a default-true boolean is --no-KEY
  CHECK(all["steps"] == 12);
  CHECK(all["steps"].is_number_integer());
  CHECK(all["temperature"] == 0.5);
  CHECK(all["precision"] == "bf16");
  CHECK(all["ref_audio"] ==
        Json::array({(std::filesystem::current_path() / "a.wav").string(), "/abs/b.wav"}));
  CHECK(all["max_batches"] == 3);
  CHECK(all["extra"] == Json{{"k", {1, 2}}});
}

TEST_CASE("task flags: wrong values are refused naming the flag, choices and required from bind") {
  CHECK_THROWS_WITH_AS(parse({"--out", "x", "--steps", "many"}),
                       doctest::Contains("--steps many: expected an integer"), higgs::RecipeError);
  CHECK_THROWS_WITH_AS(parse({"--out", "x", "--temperature", "1.5x"}),
                       doctest::Contains("--temperature 1.5x: expected a number"),
                       higgs::RecipeError);
  CHECK_THROWS_AS(parse({"--out", "x", "--precision", "fp8"}), CLI::ValidationError);
  CHECK_THROWS_AS(parse({"--steps", "2"}), CLI::RequiredError);  // out is required by bind
  CHECK_THROWS_AS(parse({"--out", "x", "--use-cache"}), CLI::ExtrasError);  // no such flag
  // A skipped option has no flag (the command's first argument fills it instead).
  CHECK(parse({"--steps", "2"}, {"out"}) == Json{{"type", "test_flags_task"}, {"steps", 2}});
}

TEST_CASE("task flags: help and defaults come from the option declarations") {
  CLI::App app;
  auto* cmd = app.add_subcommand("cmd");
  higgs::cli::TaskFlags flags(cmd, "test_flags_task");
  const std::string help = cmd->help();
  CHECK(help.find("--steps INT=4") != std::string::npos);
  CHECK(help.find("--temperature NUMBER=1.0") != std::string::npos);
  CHECK(help.find("--precision TEXT:{fp32,bf16}") != std::string::npos);
  CHECK(help.find("Turns off normalize: Normalise texts.") != std::string::npos);
  CHECK(help.find("--no-cache") != std::string::npos);
  CHECK(help.find("Reference clips.") != std::string::npos);
}

}  // namespace task_flags_test
