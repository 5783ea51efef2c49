// Task `evaluate`: the loss and accuracy of a model (the recipe's, a run's newest or best
// checkpoint, or a LoRA adapter) on eval_data or train_data, computed exactly as the trainer's
// evaluation computes them. Prints one line per metric and writes them to `out` as JSON.
//
//   higgs-run evaluate RUN_DIR [--checkpoint DIR] [--data train_data] [--out eval.json]
//   task: { type: 'evaluate', checkpoint: 'runs/demo', data: 'eval_data', batch_size: 8 }
//
// With several processes (torchrun) the ranks share the samples, as in training.
#include <torch/torch.h>

#include <cstdio>
#include <spdlog/spdlog.h>

#include "components/generation/run_weights.h"
#include "framework/config/diagnostics.h"
#include "framework/distributed/communicator.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/evaluation.h"
#include "framework/train/hooks.h"
#include "framework/util/fs.h"

namespace higgs {
namespace {

class EvaluateTask : public Task {
 public:
  struct Options {
    std::string checkpoint;
    std::string adapter;
    std::string data = "eval_data";
    int64_t batch_size = 0;
    int64_t max_batches = 0;
    std::string precision = "fp32";
    int64_t num_workers = 2;
    std::string out;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("checkpoint", o.checkpoint,
          "Run directory (its newest checkpoint-STEP) or checkpoint directory whose trainable "
          "weights replace the model's; \"\" = the model as the recipe builds it.");
    b.opt("adapter", o.adapter, "A LoRA adapter directory in PEFT layout to attach and load.");
    b.choice("data", o.data, {"eval_data", "train_data"}, "The recipe's dataset to evaluate on.");
    b.opt("batch_size", o.batch_size,
          "Samples per batch; 0 uses trainer.eval_batch_size, else trainer.batch_size, else 8.")
        .min(0);
    b.opt("max_batches", o.max_batches, "Batches to evaluate; 0 means all.").min(0);
    b.choice("precision", o.precision, {"fp32", "bf16"}, "fp32, or bf16 autocast.");
    b.opt("num_workers", o.num_workers, "Background threads loading samples; 0 loads inline.").min(0);
    b.opt("out", o.out, "Write the metrics (and counts) to this JSON file; \"\" prints only.");
  }
  EvaluateTask(const Options& o, BuildContext&) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"model", "collator", o_.data}; }

  int run(BuildContext& ctx) override {
    auto comm = ctx.find<Communicator>("communicator");
    if (!comm) comm = local_communicator();
    auto model = ctx.get<Model>("model");
    auto adapters = ctx.get_list<Adapter>("adapters");
    for (auto& a : adapters) a->attach(*model);
    std::string loaded = "the model as the recipe builds it";
    if (!o_.checkpoint.empty()) {
      const std::string dir = generation::resolve_checkpoint_dir(o_.checkpoint);
      const int64_t n = generation::load_checkpoint_trainables(dir, *model, adapters);
      spdlog::info("loaded {} trainable tensors from {}", n, dir);
      loaded = dir;
    }
    if (!o_.adapter.empty()) {
      if (!adapters.empty()) adapters.front()->load(o_.adapter);
      else adapters.push_back(generation::load_lora_adapter(o_.adapter, *model));
      spdlog::info("loaded adapter {}", o_.adapter);
      loaded += " + adapter " + o_.adapter;
    }

    EvaluationOptions eo;
    eo.loader.batch_size = batch_size(ctx);
    eo.loader.num_workers = o_.num_workers;
    eo.loader.seed = ctx.settings().seed;
    eo.loader.rank = ctx.placement.rank;
    eo.loader.world_size = ctx.placement.world_size;
    eo.loader.name = o_.data;
    eo.max_batches = o_.max_batches;
    eo.bf16 = o_.precision == "bf16";
    auto data = ctx.get<Dataset>(o_.data);
    auto collator = ctx.get<Collator>("collator");
    EvaluationResult r = evaluate_model(*model, data, collator, eo, *comm);
    if (r.batches == 0)
      throw RecipeError(o_.data + ": no sample could be evaluated (" + std::to_string(data->size()) +
                        " samples, " + std::to_string(r.skipped) + " skipped)");
    if (!ctx.placement.is_main()) return 0;

    std::printf("evaluated %s on %s: %lld samples in %lld batches (%lld skipped) on %d process(es)\n",
                loaded.c_str(), o_.data.c_str(), (long long)r.samples, (long long)r.batches,
                (long long)r.skipped, comm->world_size());
    for (auto it = r.metrics.begin(); it != r.metrics.end(); ++it)
      std::printf("  %-28s %.6f\n", it.key().c_str(), it.value().get<double>());
    std::fflush(stdout);
    if (!o_.out.empty()) {
      Json rep = r.metrics;
      rep["weights"] = loaded;
      rep["data"] = o_.data;
      rep["batch_size"] = eo.loader.batch_size;
      rep["batches"] = r.batches;  // rank 0's
      rep["world_size"] = comm->world_size();
      write_file_atomic(o_.out, rep.dump(2) + "\n");
      std::printf("metrics written to %s\n", o_.out.c_str());
    }
    return 0;
  }

 private:
  int64_t batch_size(BuildContext& ctx) const {
    if (o_.batch_size > 0) return o_.batch_size;
    const Json& trainer = ctx.plan().resolved.contains("trainer") ? ctx.plan().resolved["trainer"] : Json();
    for (const char* key : {"eval_batch_size", "batch_size"})
      if (trainer.is_object() && trainer.contains(key) && trainer[key].is_number_integer() &&
          trainer[key].get<int64_t>() > 0)
        return trainer[key].get<int64_t>();
    return 8;
  }
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Task, EvaluateTask, "evaluate",
               "Loss and accuracy of a model, checkpoint or adapter on eval_data or train_data, "
               "as the trainer's evaluation computes them.");

}  // namespace higgs
