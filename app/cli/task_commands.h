// The commands that run one task on a run directory or a recipe: `higgs-run generate`,
// `evaluate` and `export`. Their flags are the task's options (task_flags.h) plus the recipe
// flags; the first argument names the run directory or recipe.
#pragma once

#include <vector>

#include "app/cli/tool_commands.h"

namespace higgs::cli {

/// Adds generate, evaluate and export to `app`.
std::vector<ToolCommand> add_task_commands(CLI::App& app);

}  // namespace higgs::cli
