// Task `train` (the default): builds the recipe's parts in dependency order and hands them to
// the recipe's trainer.
//
//   task: "train"
//
// The order matters and is the one place it is written: the run directory first (a recipe that
// cannot write its output fails before weights load); the model; adapters attached and freezing
// applied, which decide the trainable parameters; the optimizer over them; then the scheduler,
// callbacks (with the model), the collator (with the built model's config) and the data.
#include <spdlog/spdlog.h>

#include "components/tasks/recipe_parts.h"
#include "framework/registry/registry.h"
#include "framework/run/run_dir.h"
#include "framework/run/task.h"
#include "framework/train/trainable.h"

namespace higgs {
namespace {

class TrainTask : public Task {
 public:
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit TrainTask(const Options&) {}
  std::vector<std::string> required_keys() const override {
    return {"model", "train_data|train_mix", "collator", "optimizer", "output_dir"};
  }

  int run(TaskContext& ctx) override {
    RunDirectory dir = RunDirectory::prepare(ctx);  // locked until training ends
    RecipeParts recipe(ctx);
    TrainerParts parts;
    parts.model = recipe.model();
    parts.adapters = recipe.adapters();
    for (auto& a : parts.adapters) a->attach(*parts.model);
    for (auto& f : recipe.freezing()) f->apply(*parts.model);
    parts.trainable = collect_trainable(*parts.model, parts.adapters);
    if (parts.trainable.empty())
      throw RecipeError(
          "nothing to train: every parameter is frozen (check freezing and adapters)");
    log_parameter_summary(*parts.model);
    if (!parts.adapters.empty() && ctx.run.placement.is_main()) {
      const std::string warning =
          adapter_coverage_warning(outside_adapters(parts.trainable, parts.adapters));
      if (!warning.empty()) spdlog::warn("{}", warning);
    }
    parts.optimizer = recipe.optimizer(parts.trainable);
    parts.scheduler = recipe.scheduler();
    parts.callbacks = recipe.callbacks();
    parts.collator = recipe.collator();
    parts.train_data = recipe.dataset("train_data");
    if (recipe.has_dataset("eval_data")) parts.eval_data = recipe.dataset("eval_data");
    parts.sampler = recipe.sampler();

    TrainerRun run;
    run.output_dir = dir.path();
    run.resolved_recipe = ctx.plan.resolved;
    run.resume = ctx.flags.resume;
    run.dry_run = ctx.flags.dry_run;
    run.settings = ctx.run;
    run.communicator = ctx.communicator;
    return recipe.trainer()->train(parts, run);
  }
};

}  // namespace

HIGGS_REGISTER(Task, TrainTask, "train", "Train the model on train_data (the default task).");

}  // namespace higgs
