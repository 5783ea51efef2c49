// The output for scripts: `list`, `describe` and `validate` with --json (their shapes as
// docs/cli.md gives them), and the shell completion scripts, sourced in bash and zsh and asked to
// complete partial command lines.
#include <torch/torch.h>

#include <set>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

using higgs::test::run_command;
using higgs::test::run_higgs;
using higgs::test::shell_quote;

namespace {

nlohmann::json parse_stdout(const std::string& output) {
  return nlohmann::json::parse(output.substr(output.find('{')));
}

// The candidates bash completion offers for the words of `line` (the last one being completed),
// with the script of `higgs-run completion bash` sourced, in `cwd`.
std::set<std::string> bash_complete(const std::string& script, const std::string& line,
                                    const std::string& cwd) {
  const std::string cmd = "cd " + shell_quote(cwd) + " && bash -c " +
                          shell_quote("source " + shell_quote(script) + " && COMP_WORDS=(" + line +
                                      ") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && "
                                      "[[ \"" +
                                      line +
                                      "\" == *' ' ]] && COMP_WORDS+=('') && "
                                      "COMP_CWORD=$((COMP_CWORD + 1)); _higgs_run; "
                                      "printf '%s\\n' \"${COMPREPLY[@]}\"");
  auto r = run_command(cmd);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  std::set<std::string> out;
  std::string word;
  for (char c : r.output) {
    if (c == '\n') {
      if (!word.empty()) out.insert(word);
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("list --json and describe --json: every kind and component, every option") {
  auto list = run_higgs("list --json");
  REQUIRE_MESSAGE(list.exit_code == 0, list.output);
  const auto l = parse_stdout(list.output);
  bool adamw = false;
  for (const auto& k : l["kinds"]) {
    CHECK_FALSE(k["description"].get<std::string>().empty());
    for (const auto& c : k["components"]) {
      CHECK_FALSE(c["description"].get<std::string>().empty());
      CHECK(c["origin"].get<std::string>().find(".cpp") != std::string::npos);
      adamw = adamw || (k["kind"] == "optimizer" && c["name"] == "adamw");
    }
  }
  CHECK(adamw);
  auto one = parse_stdout(run_higgs("list scheduler --json").output);
  REQUIRE(one["kinds"].size() == 1);
  CHECK(one["kinds"][0]["kind"] == "scheduler");
  // The text form: the kind's line, then each component indented.
  auto text = run_higgs("list optimizer");
  CHECK(text.output.rfind("optimizer: ", 0) == 0);
  CHECK(text.output.find("\n  adamw ") != std::string::npos);

  auto d = run_higgs("describe optimizer/adamw --json");
  REQUIRE_MESSAGE(d.exit_code == 0, d.output);
  const auto j = parse_stdout(d.output);
  CHECK(j["kind"] == "optimizer");
  CHECK(j["name"] == "adamw");
  CHECK(j["origin"] == "components/optim/adamw.cpp");
  bool weight_decay = false;
  for (const auto& o : j["options"]) {
    CHECK_FALSE(o["doc"].get<std::string>().empty());
    CHECK(o.contains("default") == !o["required"].get<bool>());
    if (o["key"] == "weight_decay") {
      weight_decay = true;
      CHECK(o["type"] == "number");
      CHECK(o["default"].get<double>() == doctest::Approx(0.01));
    }
  }
  CHECK(weight_decay);
  auto choices = parse_stdout(run_higgs("describe task/evaluate --json").output);
  bool data = false;
  for (const auto& o : choices["options"])
    if (o["key"] == "data") {
      data = true;
      CHECK(o["choices"] == nlohmann::json({"eval_data", "train_data"}));
    }
  CHECK(data);
  // An unknown name stays a usage error with a suggestion, JSON or not.
  auto bad = run_higgs("describe optimizer/adamv --json");
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("did you mean \"adamw\"") != std::string::npos);
}

TEST_CASE("validate --json: ok with the counts, or every error with its recipe path, exit 2") {
  higgs::test::TempDir dir("validate-json");
  higgs::test::write_text(dir.file("bad.jsonnet"), higgs::test::kRecipeWithThreeErrors);
  auto r = run_higgs("validate " + dir.file("bad.jsonnet") + " --json");
  CHECK(r.exit_code == 2);
  const auto j = nlohmann::json::parse(r.output);  // stdout holds the JSON alone
  CHECK(j["ok"] == false);
  CHECK(j["recipe"] == dir.file("bad.jsonnet"));
  std::set<std::string> paths;
  for (const auto& e : j["errors"]) {
    paths.insert(e["path"].get<std::string>());
    CHECK_FALSE(e["message"].get<std::string>().empty());
  }
  CHECK(paths == std::set<std::string>{"optimizer.lr", "optimizer.weight_decy", "scheduler.type"});
  for (const auto& e : j["errors"])
    if (e["path"] == "scheduler.type")
      CHECK(e["message"].get<std::string>().find("did you mean \"cosine\"") != std::string::npos);

  // The demo recipe: validate loads nothing, so its assets need not exist.
  auto g = run_higgs("validate " + std::string(HIGGS_SOURCE_DIR) +
                     "/recipes/demo/tiny_zero_shot.jsonnet --tla-str demo_dir=/nonexistent --json");
  REQUIRE_MESSAGE(g.exit_code == 0, g.output);
  const auto ok = nlohmann::json::parse(g.output);
  CHECK(ok["ok"] == true);
  CHECK(ok["task"] == "train");
  CHECK(ok["components"] == 11);
  auto missing = nlohmann::json::parse(run_higgs("validate /nonexistent/r.jsonnet --json").output);
  CHECK(missing["ok"] == false);
  CHECK(missing["errors"][0]["message"].get<std::string>().find("recipe file not found") !=
        std::string::npos);
}

TEST_CASE("bash completion: commands, options, kinds, KIND/NAME and recipe files") {
  higgs::test::TempDir dir("completion-bash");
  auto script = run_higgs("completion bash");
  REQUIRE_MESSAGE(script.exit_code == 0, script.output);
  higgs::test::write_text(dir.file("higgs-run.bash"), script.output);
  const std::string s = dir.file("higgs-run.bash");
  higgs::test::write_text(dir.file("empty/.keep"), "");  // no file there starts like a command
  const std::string e = dir.file("empty");
  CHECK(bash_complete(s, "higgs-run val", e) == std::set<std::string>{"validate"});
  const auto d = bash_complete(s, "higgs-run d", e);
  CHECK(d == std::set<std::string>{"data-check", "describe", "diff", "dump-batch"});
  CHECK(bash_complete(s, "higgs-run run r.jsonnet --res", e) == std::set<std::string>{"--resume"});
  // The shorthand `higgs-run RECIPE` completes as `run`.
  CHECK(bash_complete(s, "higgs-run r.jsonnet --dry", e) == std::set<std::string>{"--dry-run"});
  CHECK(bash_complete(s, "higgs-run data-check r.jsonnet --js", e) ==
        std::set<std::string>{"--json"});
  CHECK(bash_complete(s, "higgs-run evaluate runs/x --no-pro", e) ==
        std::set<std::string>{"--no-progress-bar"});
  CHECK(bash_complete(s, "higgs-run --log-level w", e) == std::set<std::string>{"warn"});
  CHECK(bash_complete(s, "higgs-run -q --qu", e) == std::set<std::string>{"--quiet"});
  CHECK(bash_complete(s, "higgs-run list opt", e) == std::set<std::string>{"optimizer"});
  CHECK(bash_complete(s, "higgs-run describe optimizer/", e) ==
        std::set<std::string>{"optimizer/adamw", "optimizer/sgd"});
  const auto help = bash_complete(s, "higgs-run help trai", e);
  CHECK(help == std::set<std::string>{"trainer", "trainer/default"});
  CHECK(bash_complete(s, "higgs-run completion ", e) == std::set<std::string>{"bash", "zsh"});
  // A path with a space stays one candidate.
  higgs::test::write_text(dir.file("work/my data.jsonl"), "");
  CHECK(bash_complete(s, "higgs-run generate runs/x --jobs my", dir.file("work")) ==
        std::set<std::string>{"my data.jsonl"});
  // Recipe arguments: recipe files and directories, not other files.
  higgs::test::write_text(dir.file("work/r1.jsonnet"), "{}");
  higgs::test::write_text(dir.file("work/r2.yaml"), "{}");
  higgs::test::write_text(dir.file("work/readme.txt"), "");
  higgs::test::write_text(dir.file("work/recipes/x.jsonnet"), "{}");
  CHECK(bash_complete(s, "higgs-run validate r", dir.file("work")) ==
        std::set<std::string>{"r1.jsonnet", "r2.yaml", "recipes/"});
  CHECK(bash_complete(s, "higgs-run r", dir.file("work")) ==
        std::set<std::string>{"r1.jsonnet", "r2.yaml", "recipes/", "reconstruct", "report", "run"});
}

TEST_CASE("zsh completion: a valid script that registers _higgs_run for higgs-run") {
  if (run_command("command -v zsh").exit_code != 0) {
    MESSAGE("zsh is not installed (scripts/setup.sh installs it): not checked");
    return;
  }
  higgs::test::TempDir dir("completion-zsh");
  auto script = run_higgs("completion zsh");
  REQUIRE(script.exit_code == 0);
  CHECK(script.output.rfind("#compdef higgs-run\n", 0) == 0);
  higgs::test::write_text(dir.file("_higgs-run"), script.output);
  auto syntax = run_command("zsh -n " + shell_quote(dir.file("_higgs-run")));
  CHECK_MESSAGE(syntax.exit_code == 0, syntax.output);
  auto loaded = run_command("HOME=" + shell_quote(dir.path()) + " zsh -f -c " +
                            shell_quote("autoload -U compinit && compinit -u -D && source " +
                                        shell_quote(dir.file("_higgs-run")) +
                                        " && print -r -- ${_comps[higgs-run]}"));
  CHECK_MESSAGE(loaded.output == "_higgs_run\n", loaded.output);
}
