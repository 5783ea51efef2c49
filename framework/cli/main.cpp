// higgs-run: the command line of higgs-train. Recipe errors and usage errors exit with code 2,
// failures while running exit with 1.
#include <CLI/CLI.hpp>

#include <iostream>
#include <set>
#include <spdlog/spdlog.h>

#include "components/tasks/dump_batch.h"
#include "framework/cli/commands.h"
#include "framework/cli/info_command.h"
#include "framework/cli/tool_commands.h"
#include "framework/registry/plugin.h"
#include "framework/run/run_dir.h"
#include "framework/run/runner.h"
#include "framework/util/build_info.h"
#include "framework/util/logging.h"

namespace {

using higgs::RecipeArgs;

using higgs::cli::RecipeLoadFlags;

// Adds the flags every recipe command takes.
void add_recipe_flags(CLI::App* cmd, RecipeArgs& args, RecipeLoadFlags& rf, bool run_flags) {
  cmd->add_option("recipe", args.recipe, "Recipe file (.jsonnet, .json, .yaml)")->required();
  rf.add_to(cmd);
  if (run_flags) {
    cmd->add_option("--resume", args.flags.resume, "Continue a run: auto (newest checkpoint) or a checkpoint directory");
    cmd->add_flag("--force", args.flags.force, "Write into a non-empty output directory");
    cmd->add_flag("--dry-run", args.flags.dry_run, "Build every component, train nothing");
  }
}

int report_registry_errors() {
  if (higgs::registry_errors().empty()) return 0;
  for (const auto& e : higgs::registry_errors()) std::cerr << "error: " << e << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"higgs-run: fine-tune Higgs Audio v2 from a recipe.\n"
               "  higgs-run RECIPE            run the recipe's task (same as `higgs-run run RECIPE`)"};
  app.require_subcommand(0, 1);
  std::vector<std::string> plugins;
  std::string log_level = "info";
  app.add_option("--plugin", plugins, "Load a plugin .so that registers components (repeatable)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.fallthrough();

  RecipeArgs args;
  RecipeLoadFlags rf;
  bool minimal = false;
  std::string kind, spec, schema_out, diff_a, diff_b;

  auto* run = app.add_subcommand("run", "Run the recipe's task (train by default)");
  add_recipe_flags(run, args, rf, true);
  auto* validate = app.add_subcommand("validate", "Check a recipe: every error at once, nothing loaded");
  add_recipe_flags(validate, args, rf, false);
  auto* print = app.add_subcommand("print-config", "Print the resolved recipe (all defaults filled)");
  add_recipe_flags(print, args, rf, false);
  print->add_flag("--minimal", minimal, "Only values that differ from defaults, with their origin");
  // Task shortcuts: `higgs-run data-check RECIPE` runs the recipe with task=data_check.
  std::vector<std::pair<CLI::App*, std::string>> task_aliases;
  for (const auto& [name, task, help] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"data-check", "data_check", "Load every sample: skipped ones with reasons, audio hours, token lengths"},
           {"pretokenize", "pretokenize", "Encode every audio file of the datasets into the code cache"}}) {
    auto* sc = app.add_subcommand(name, help + " (the recipe with task=" + task + ")");
    add_recipe_flags(sc, args, rf, false);
    task_aliases.emplace_back(sc, task);
  }
  std::string dump_split = "train", dump_out;
  int64_t dump_index = 0;
  auto* dump = app.add_subcommand("dump-batch", "Write one collated batch as safetensors (one tensor per field)");
  add_recipe_flags(dump, args, rf, false);
  dump->add_option("--split", dump_split, "train or eval")->check(CLI::IsMember({"train", "eval"}));
  dump->add_option("--index", dump_index, "Batch index in dataset order");
  dump->add_option("--out", dump_out, "Output .safetensors file")->required();
  auto* diff = app.add_subcommand("diff", "Compare two recipes or run directories");
  diff->add_option("a", diff_a, "Recipe or run directory")->required();
  diff->add_option("b", diff_b, "Recipe or run directory")->required();
  auto* list = app.add_subcommand("list", "List registered components");
  list->add_option("kind", kind, "Only this kind");
  auto* describe = app.add_subcommand("describe", "Show every option of a component");
  describe->add_option("component", spec, "KIND/NAME, e.g. optimizer/adamw")->required();
  auto* schema = app.add_subcommand("schema", "Write JSON Schemas of recipes and components");
  schema->add_option("--out", schema_out, "Directory to write (default: print the recipe schema)");
  auto* version = app.add_subcommand("version", "Print the version");
  bool info_json = false;
  auto* info = app.add_subcommand("info", "This build and machine: version, LibTorch, CUDA devices, cuDNN, backends, threads");
  info->add_flag("--json", info_json, "Print JSON");
  app.set_version_flag("--version", [] { return "higgs-run " + higgs::version_string(); });
  auto tools = higgs::cli::add_tool_commands(app);

  // `higgs-run RECIPE ...` means `higgs-run run RECIPE ...`.
  std::vector<std::string> arglist(argv + 1, argv + argc);
  std::set<std::string> subcommands;
  for (auto* sc : app.get_subcommands([](CLI::App*) { return true; })) subcommands.insert(sc->get_name());
  size_t first = 0;
  while (first < arglist.size() && arglist[first].rfind("-", 0) == 0) {
    bool takes_value = arglist[first] == "--plugin" || arglist[first] == "--log-level";
    first += takes_value ? 2 : 1;
  }
  if (first < arglist.size() && !subcommands.count(arglist[first]))
    arglist.insert(arglist.begin() + first, "run");
  std::reverse(arglist.begin(), arglist.end());

  try {
    app.parse(arglist);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 2;
  }
  higgs::setup_logging(log_level, higgs::placement_from_environment().rank);
  args.flags.log_level = log_level;
  args.flags.argv.assign(argv, argv + argc);

  try {
    for (const auto& p : plugins) higgs::load_plugin(p);
    if (int rc = report_registry_errors()) return rc;
    if (version->parsed()) {
      std::cout << "higgs-run " << higgs::version_string() << "\n";
      return 0;
    }
    if (info->parsed()) return higgs::cli::print_info(info_json, std::cout);
    for (const auto& t : tools)
      if (t.app->parsed()) return t.run();
    if (list->parsed()) return higgs::cli::list_components(kind);
    if (describe->parsed()) return higgs::cli::describe_component(spec);
    if (schema->parsed()) return higgs::cli::write_schemas(schema_out);
    if (diff->parsed()) {
      higgs::LoadOptions load;
      auto a = higgs::load_plan_or_run(diff_a, load, /*check_task=*/false);
      auto b = higgs::load_plan_or_run(diff_b, load, /*check_task=*/false);
      return higgs::cli::diff_plans(a, b, diff_a, diff_b);
    }
    args.load = rf.load_options();
    for (const auto& [sc, task] : task_aliases)
      if (sc->parsed())  // first, so that --set task.OPTION=... still applies
        args.load.sets.insert(args.load.sets.begin(), "task={\"type\": \"" + task + "\"}");
    auto plan = higgs::load_plan(args, /*check_task=*/!print->parsed() && !dump->parsed());
    if (validate->parsed()) {
      std::cout << args.recipe << ": OK (" << plan.components.size() << " components)\n";
      return 0;
    }
    if (print->parsed()) return higgs::cli::print_config(plan, minimal);
    if (dump->parsed()) return higgs::dump_batch(plan, dump_split, dump_index, dump_out);
    return higgs::run_plan(plan, args.flags);
  } catch (const higgs::RecipeError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
