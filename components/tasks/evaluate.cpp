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
#include "framework/distributed/data_parallel.h"
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
    generation::TrainedWeights weights;
    std::string data = "eval_data";
    int64_t batch_size = 0;
    int64_t max_batches = 0;
    std::string precision = "fp32";
    int64_t num_workers = 2;
    std::string out;
  };
  static void bind(Binder& b, Options& o) {
    generation::TrainedWeights::bind(b, o.weights);
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
    const std::string loaded = o_.weights.load(*model, adapters);

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
    // Over every rank: a rank left without samples (fewer samples than ranks) is not an error.
    const double all_batches = all_reduce_values(*comm, {double(r.batches)}, ReduceOp::Sum)[0];
    if (all_batches == 0)
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
