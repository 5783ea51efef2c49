// The generic runner: recipe file -> validated plan -> task.
#pragma once

#include <string>
#include <vector>

#include "framework/run/recipe_plan.h"
#include "framework/train/run_settings.h"

namespace higgs {

/// Everything the command line says about a recipe run.
struct RecipeArgs {
  std::string recipe;
  LoadOptions load;
  RunFlags flags;
};

/// Loads and validates a recipe and, when `check_task`, the keys its task needs. Throws
/// RecipeError listing every problem.
RecipePlan load_plan(const RecipeArgs& args, bool check_task = true);

/// Reads a recipe file or a run directory (its recipe.resolved.json) into a plan; with
/// `check_task`, the keys its task requires are checked too (nothing loaded yet).
RecipePlan load_plan_or_run(const std::string& path, const LoadOptions& load,
                            bool check_task = true);

/// Sets threads and seeds, builds the task and runs it. Returns the exit code.
int run_plan(const RecipePlan& plan, const RunFlags& flags);

/// Rank, world size and local rank from torchrun/Slurm environment variables.
ProcessPlacement placement_from_environment();

}  // namespace higgs
