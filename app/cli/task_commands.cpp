#include "app/cli/task_commands.h"

#include <filesystem>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/task_flags.h"
#include "framework/run/runner.h"

namespace higgs::cli {

namespace {

// One task command: its name and task, and what its first argument fills in.
struct TaskCommandSpec {
  const char* name;
  const char* task;
  const char* help;
  const char* argument;  // name of the first argument in the help
  const char* argument_help;
  // The task option the first argument fills: "from" always (export), "checkpoint" when it is a
  // run directory and --checkpoint was not given (generate, evaluate).
  const char* fills;
  bool always_fills;
};

const TaskCommandSpec kTaskCommands[] = {
    {"generate", "generate",
     "Zero-shot voice cloning with a trained run (its newest checkpoint) or a recipe: writes "
     "OUT.wav, OUT.codes.safetensors and OUT.json and says whether decoding stopped by itself",
     "target", "A run directory (recipe.resolved.json + checkpoints) or a recipe", "checkpoint",
     false},
    {"evaluate", "evaluate",
     "Loss and accuracy of a run's newest checkpoint (or a recipe's model) on its eval data",
     "target", "A run directory (recipe.resolved.json + checkpoints) or a recipe", "checkpoint",
     false},
    {"export", "export",
     "Merge LoRA into the base and write a full checkpoint (released layout), or the adapter alone",
     "run", "Run directory (or one checkpoint-STEP directory of it)", "from", true},
};

struct TaskCommand {
  std::string target;
  RecipeLoadFlags recipe;
  std::unique_ptr<TaskFlags> flags;
};

ToolCommand add_task_command(CLI::App& app, const TaskCommandSpec& spec) {
  auto* cmd = app.add_subcommand(spec.name, spec.help);
  auto c = std::make_shared<TaskCommand>();
  cmd->add_option(spec.argument, c->target, spec.argument_help)->required();
  c->flags = std::make_unique<TaskFlags>(
      cmd, spec.task,
      spec.always_fills ? std::set<std::string>{spec.fills} : std::set<std::string>{});
  c->recipe.add_to(cmd);
  auto run = [c, spec]() -> int {
    Json task = c->flags->task_json();
    const bool run_dir = std::filesystem::is_directory(c->target);
    if (spec.always_fills || (run_dir && !c->flags->given(spec.fills)))
      task[spec.fills] = c->target;
    LoadOptions load = c->recipe.load_options();
    load.sets.push_back("task=" + task.dump());
    RunFlags flags;
    return run_plan(load_plan_or_run(c->target, load), flags);
  };
  return {cmd, run};
}

}  // namespace

std::vector<ToolCommand> add_task_commands(CLI::App& app) {
  std::vector<ToolCommand> out;
  for (const auto& spec : kTaskCommands) out.push_back(add_task_command(app, spec));
  return out;
}

}  // namespace higgs::cli
