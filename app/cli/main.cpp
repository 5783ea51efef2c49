// higgs-run: the command line of higgs-train. Exit codes (framework/util/exit_codes.h,
// docs/cli.md): 0 success, 1 a failure while running, 2 a recipe or usage error, 75 stopped by a
// signal with a checkpoint written.
#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "app/cli/commands.h"
#include "app/cli/completion_command.h"
#include "app/cli/help_command.h"
#include "app/cli/info_command.h"
#include "app/cli/task_flags.h"
#include "app/cli/tool_commands.h"
#include "components/tasks/dump_batch.h"
#include "framework/registry/plugin.h"
#include "framework/run/run_dir.h"
#include "framework/run/run_report.h"
#include "framework/run/runner.h"
#include "framework/util/build_info.h"
#include "framework/util/console.h"
#include "framework/util/exit_codes.h"
#include "framework/util/fs.h"
#include "framework/util/logging.h"

namespace {

using higgs::RecipeArgs;
using higgs::cli::RecipeLoadFlags;
using higgs::cli::ToolCommand;

// The options before the command, which the whole program takes.
struct GlobalOptions {
  std::vector<std::string> plugins;
  std::string log_level = "info";
  bool quiet = false;
};

// What the recipe commands (run, validate, print-config, data-check, pretokenize, dump-batch)
// parse into, and how each one ends once the plan is loaded.
struct RecipeCommands {
  RecipeArgs args;
  RecipeLoadFlags load;
  bool minimal = false, validate_json = false;
  std::string dump_split = "train", dump_out;
  int64_t dump_index = 0;
  CLI::App *run = nullptr, *validate = nullptr, *print = nullptr, *dump = nullptr;
  // data-check -> data_check, with the task's options as flags (--json, --workers, ...)
  struct TaskAlias {
    CLI::App* command;
    std::string task;
    std::unique_ptr<higgs::cli::TaskFlags> flags;
  };
  std::vector<TaskAlias> task_aliases;

  CLI::App* add(CLI::App& app, const std::string& name, const std::string& help, bool run_flags) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("recipe", args.recipe, "Recipe file (.jsonnet, .json, .yaml)")->required();
    load.add_to(cmd);
    if (run_flags) {
      cmd->add_option("--resume", args.flags.resume,
                      "Continue a run: auto (newest checkpoint) or a checkpoint directory");
      cmd->add_flag("--force", args.flags.force, "Write into a non-empty output directory");
      cmd->add_flag("--dry-run", args.flags.dry_run, "Build every component, train nothing");
    }
    return cmd;
  }

  void add_all(CLI::App& app) {
    run = add(app, "run", "Run the recipe's task (train by default)", true);
    validate = add(app, "validate", "Check a recipe: every error at once, nothing loaded", false);
    validate->add_flag("--json", validate_json,
                       "Print {recipe, ok, components, task} or {recipe, ok, errors: [{path, "
                       "message}]} as JSON");
    print = add(app, "print-config", "Print the resolved recipe (all defaults filled)", false);
    print->add_flag("--minimal", minimal,
                    "Only values that differ from defaults, with their origin");
    // Task shortcuts: `higgs-run data-check RECIPE` runs the recipe with task=data_check.
    for (const auto& [name, task, help] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"data-check", "data_check",
              "Load every sample: skipped ones with reasons, audio hours, token lengths"},
             {"pretokenize", "pretokenize",
              "Encode every audio file of the datasets into the code cache"}}) {
      auto* cmd = add(app, name, help + " (the recipe with task=" + task + ")", false);
      task_aliases.push_back({cmd, task, std::make_unique<higgs::cli::TaskFlags>(cmd, task)});
    }
    dump = add(app, "dump-batch", "Write one collated batch as safetensors (one tensor per field)",
               false);
    dump->add_option("--split", dump_split, "train or eval")
        ->check(CLI::IsMember({"train", "eval"}));
    dump->add_option("--index", dump_index, "Batch index in dataset order");
    dump->add_option("--out", dump_out, "Output .safetensors file")->required();
  }

  int finish() {
    args.load = load.load_options();
    for (const auto& alias : task_aliases)
      if (alias.command->parsed())  // first, so that --set task.OPTION=... still applies
        args.load.sets.insert(args.load.sets.begin(), "task=" + alias.flags->task_json().dump());
    if (validate->parsed() && validate_json) return validate_as_json();
    auto plan = higgs::load_plan(args, /*check_task=*/!print->parsed() && !dump->parsed());
    if (validate->parsed()) {
      std::cout << args.recipe << ": OK (" << plan.components.size() << " components)\n";
      return higgs::kExitSuccess;
    }
    if (print->parsed()) return higgs::cli::print_config(plan, minimal);
    if (dump->parsed()) return higgs::dump_batch(plan, dump_split, dump_index, dump_out);
    return higgs::run_plan(plan, args.flags);
  }

  // `validate --json`: the verdict on stdout for editors and CI, every recipe error with its path.
  int validate_as_json() {
    higgs::Json out = {{"recipe", args.recipe}};
    try {
      auto plan = higgs::load_plan(args, /*check_task=*/true);
      out["ok"] = true;
      out["components"] = plan.components.size();
      out["task"] = plan.components.at("task").entry->name;
    } catch (const higgs::RecipeError& e) {
      out["ok"] = false;
      out["errors"] = higgs::Json::array();
      for (const auto& d : e.items())
        out["errors"].push_back({{"path", d.path}, {"message", d.message}});
    }
    std::cout << out.dump() << "\n";
    return out["ok"].get<bool>() ? higgs::kExitSuccess : higgs::kExitUsage;
  }
};

// The commands that read no recipe: diff, list, describe, schema, version, info, help, report.
std::vector<ToolCommand> add_inspection_commands(CLI::App& app) {
  auto diff_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* diff = app.add_subcommand("diff", "Compare two recipes or run directories");
  diff->add_option("a", diff_args->first, "Recipe or run directory")->required();
  diff->add_option("b", diff_args->second, "Recipe or run directory")->required();
  auto kind = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("list", "List registered components");
  list->add_option("kind", *kind, "Only this kind");
  list->add_flag("--json", *list_json, "Print JSON: {kinds: [{kind, description, components}]}");
  auto spec = std::make_shared<std::string>();
  auto describe_json = std::make_shared<bool>(false);
  auto* describe = app.add_subcommand("describe", "Show every option of a component");
  describe->add_option("component", *spec, "KIND/NAME, e.g. optimizer/adamw")->required();
  describe->add_flag("--json", *describe_json,
                     "Print JSON: {kind, name, description, origin, options: [...]}");
  auto schema_out = std::make_shared<std::string>();
  auto* schema = app.add_subcommand("schema", "Write JSON Schemas of recipes and components");
  schema->add_option("--out", *schema_out, "Directory to write (default: print the recipe schema)");
  auto* version = app.add_subcommand("version", "Print the version");
  auto info_json = std::make_shared<bool>(false);
  auto* info = app.add_subcommand(
      "info", "This build and machine: version, LibTorch, CUDA devices, cuDNN, backends, threads");
  info->add_flag("--json", *info_json, "Print JSON");
  auto report_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* report = app.add_subcommand(
      "report", "Write one self-contained HTML page of a run: curves, listening samples, recipe");
  report->add_option("run", report_args->first, "Run directory")->required();
  report->add_option("--out", report_args->second, "HTML file to write (default: RUN/report.html)");
  auto help_name = std::make_shared<std::string>();
  auto* help =
      app.add_subcommand("help", "Help on a command, a kind (its components) or KIND/NAME");
  help->add_option("name", *help_name, "COMMAND, KIND or KIND/NAME, e.g. optimizer/adamw");
  return {
      {diff,
       [diff_args] {
         higgs::LoadOptions load;
         auto a = higgs::load_plan_or_run(diff_args->first, load, /*check_task=*/false);
         auto b = higgs::load_plan_or_run(diff_args->second, load, /*check_task=*/false);
         return higgs::cli::diff_plans(a, b, diff_args->first, diff_args->second);
       }},
      {list, [kind, list_json] { return higgs::cli::list_components(*kind, *list_json); }},
      {describe,
       [spec, describe_json] { return higgs::cli::describe_component(*spec, *describe_json); }},
      {schema, [schema_out] { return higgs::cli::write_schemas(*schema_out); }},
      {version,
       [] {
         std::cout << higgs::cli::version_text();
         return 0;
       }},
      {info, [info_json] { return higgs::cli::print_info(*info_json, std::cout); }},
      {help, [&app, help_name] { return higgs::cli::print_help(app, *help_name); }},
      {report,
       [report_args] {
         const std::string out = report_args->second.empty() ? report_args->first + "/report.html"
                                                             : report_args->second;
         higgs::write_file_atomic(out, higgs::render_run_report(report_args->first));
         std::cout << "report written to " << out << "\n";
         return higgs::kExitSuccess;
       }},
  };
}

// The index in `args` of the first word that is not a global option (the command, or a recipe).
size_t first_word(const std::vector<std::string>& args) {
  size_t first = 0;
  while (first < args.size() && args[first].rfind("-", 0) == 0)
    first += args[first] == "--plugin" || args[first] == "--log-level" ? 2 : 1;
  return first;
}

// `higgs-run RECIPE ...` means `higgs-run run RECIPE ...`: "run" is put before the first word
// that is not a global option or a command, unless that word is a mistyped command. CLI11 takes
// the arguments reversed.
std::vector<std::string> arguments_with_default_command(const CLI::App& app,
                                                        std::vector<std::string> args) {
  const size_t first = first_word(args);
  if (first < args.size() && !higgs::cli::find_command(app, args[first])) {
    const std::string typo =
        higgs::cli::unknown_command_message(higgs::cli::command_names(app), args[first]);
    if (!typo.empty()) throw CLI::ParseError(typo, CLI::ExitCodes::ExtrasError);
    args.insert(args.begin() + first, "run");
  }
  std::reverse(args.begin(), args.end());
  return args;
}

// A usage error, with a did-you-mean for each mistyped long option of the command.
int usage_error(const CLI::App& app, const CLI::ParseError& e,
                const std::vector<std::string>& args) {
  if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
  const size_t first = first_word(args);
  const CLI::App* command =
      first < args.size() ? higgs::cli::find_command(app, args[first]) : nullptr;
  const auto unknown = higgs::cli::unknown_option_messages(app, command, args);
  if (e.get_exit_code() != static_cast<int>(CLI::ExitCodes::ExtrasError) || unknown.empty())
    std::cerr << higgs::error_prefix() << e.what() << "\n";
  for (const auto& m : unknown) std::cerr << higgs::error_prefix() << m << "\n";
  std::cerr << "Run with --help for more information.\n";
  return higgs::kExitUsage;
}

int report_registry_errors() {
  if (higgs::registry_errors().empty()) return 0;
  for (const auto& e : higgs::registry_errors()) std::cerr << higgs::error_prefix() << e << "\n";
  return higgs::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "higgs-run: fine-tune Higgs Audio v2 from a recipe.\n"
      "  higgs-run RECIPE            run the recipe's task (same as `higgs-run run RECIPE`)",
      "higgs-run"};
  app.require_subcommand(0, 1);
  GlobalOptions global;
  app.add_option("--plugin", global.plugins,
                 "Load a plugin .so that registers components (repeatable)");
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_flag("--quiet,-q", global.quiet,
               "No progress bars or progress lines, and only warnings and errors in the log "
               "(unless --log-level says otherwise)");
  app.fallthrough();
  app.set_version_flag("--version,-V", [] {
    std::string text = higgs::cli::version_text();
    return text.substr(0, text.size() - 1);  // CLI11 ends the line
  });
  RecipeCommands recipe;
  recipe.add_all(app);
  auto commands = add_inspection_commands(app);
  for (auto& t : higgs::cli::add_tool_commands(app)) commands.push_back(t);
  commands.push_back(higgs::cli::add_completion_command(app));  // last: it lists every command

  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    app.parse(arguments_with_default_command(app, args));
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e, args);
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return higgs::kExitUsage;
  }
  higgs::set_console_mode(higgs::console_mode_from_environment(global.quiet));
  if (global.quiet && app.get_option("--log-level")->count() == 0) global.log_level = "warn";
  higgs::setup_logging(global.log_level, higgs::placement_from_environment().rank);
  recipe.args.flags.log_level = global.log_level;
  recipe.args.flags.argv.assign(argv, argv + argc);
  try {
    for (const auto& p : global.plugins) higgs::load_plugin(p);
    if (int rc = report_registry_errors()) return rc;
    for (const auto& c : commands)
      if (c.app->parsed()) return c.run();
    return recipe.finish();
  } catch (const higgs::RecipeError& e) {
    std::cerr << higgs::error_prefix() << e.what() << "\n";
    return higgs::kExitUsage;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return higgs::kExitFailure;
  }
}
