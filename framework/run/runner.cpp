#include "framework/run/runner.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <spdlog/spdlog.h>
#include <torch/utils.h>

#include "framework/distributed/communicator.h"
#include "framework/run/task.h"
#include "framework/train/checkpointer.h"

namespace fs = std::filesystem;

namespace higgs {

namespace {

void check_task_keys(RecipePlan& plan) {
  ComponentBuilder probe(plan);
  auto task = probe.build<Task>("task");
  Diagnostics diags;
  const std::string task_name = plan.components.at("task").entry->name;
  for (const auto& required : task->required_keys()) {
    // "train_data|train_mix": one of them (and not both).
    std::vector<std::string> present, alternatives;
    for (size_t b = 0, e; b <= required.size(); b = e + 1) {
      e = std::min(required.find('|', b), required.size());
      const std::string key = required.substr(b, e - b);
      alternatives.push_back(key);
      const bool here = key == "output_dir"
                            ? !plan.settings.output_dir.empty()
                            : plan.components.count(key) ||
                                  (plan.lists.count(key) && !plan.lists.at(key).empty());
      if (here) present.push_back(key);
    }
    auto joined = [](const std::vector<std::string>& keys, const char* sep) {
      std::string out;
      for (const auto& k : keys) out += (out.empty() ? "" : sep) + k;
      return out;
    };
    if (present.empty())
      diags.error(alternatives.front(),
                  (alternatives.size() > 1 ? "one of " + joined(alternatives, ", ") + " is " : "") +
                      "required by task \"" + task_name + "\" but missing from the recipe");
    if (present.size() > 1)
      diags.error(present[1], "give " + joined(present, " or ") + ", not both");
  }
  diags.throw_if_any(plan.config.source());
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

}  // namespace

ProcessPlacement placement_from_environment() {
  ProcessPlacement p;
  p.rank = env_int("RANK", env_int("SLURM_PROCID", 0));
  p.world_size = env_int("WORLD_SIZE", env_int("SLURM_NTASKS", 1));
  p.local_rank = env_int("LOCAL_RANK", env_int("SLURM_LOCALID", 0));
  return p;
}

RecipePlan load_plan(const RecipeArgs& args, bool check_task) {
  Config cfg = load_recipe(args.recipe, args.load);
  RecipePlan plan = plan_recipe(std::move(cfg));
  if (check_task) check_task_keys(plan);
  return plan;
}

RecipePlan load_plan_or_run(const std::string& path, const LoadOptions& load, bool check_task) {
  std::string recipe = path;
  if (fs::is_directory(path)) {
    recipe = (fs::path(path) / kResolvedRecipeFile).string();
    if (!fs::exists(recipe))
      throw RecipeError(path + ": a directory without recipe.resolved.json is not a run directory");
  }
  RecipePlan plan = plan_recipe(load_recipe(recipe, load));
  if (check_task) check_task_keys(plan);  // before anything is loaded, as for `higgs-run RECIPE`
  return plan;
}

int run_plan(const RecipePlan& plan, const RunFlags& flags) {
  DistributedConfig dist;
  try {
    dist = distributed_config_from_environment();
  } catch (const std::invalid_argument& e) {
    throw RecipeError(std::string("distributed launch: ") + e.what());
  }
  int64_t threads = plan.settings.threads;
  if (threads <= 0) {
    // All cores, shared by the processes of this machine (torchrun's LOCAL_WORLD_SIZE).
    int per_node = std::max(1, env_int("LOCAL_WORLD_SIZE", env_int("SLURM_NTASKS_PER_NODE", 1)));
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / per_node);
  }
  at::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(static_cast<uint64_t>(plan.settings.seed));
  ComponentBuilder components(plan);
  RunSettings run{plan.settings.seed, plan.settings.device,
                  ProcessPlacement{dist.rank, dist.world_size, dist.local_rank}};
  auto comm = init_communicator(dist, plan.settings.device);
  if (comm->world_size() > 1)
    spdlog::info("data parallel: {} processes ({}), this is rank {}", comm->world_size(),
                 comm->backend(), comm->rank());
  TaskContext ctx{plan, flags, run, comm, components};
  auto task = components.build<Task>("task");
  spdlog::debug("task {} with {} threads", plan.components.at("task").entry->name, threads);
  return task->run(ctx);
}

}  // namespace higgs
