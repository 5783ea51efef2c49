#include "framework/train/default_trainer.h"

#include "framework/train/training_loop.h"

namespace higgs {

void DefaultTrainer::bind(Binder& b, Options& o) {
  b.opt("max_steps", o.max_steps, "Optimizer steps to run; 0 runs `epochs` epochs.").min(0);
  b.opt("epochs", o.epochs, "Epochs to run when max_steps is 0.").min(1);
  b.opt("batch_size", o.batch_size, "Samples per micro-batch on each process.").min(1);
  b.opt("eval_batch_size", o.eval_batch_size, "Samples per eval batch; 0 uses batch_size.").min(0);
  b.opt("grad_accum_steps", o.grad_accum_steps, "Micro-batches per optimizer step.").min(1);
  b.opt("max_grad_norm", o.max_grad_norm, "Clip the gradient norm to this; 0 disables.").min(0);
  b.choice("precision", o.precision, {"fp32", "bf16"},
           "fp32, or bf16 autocast (fp32 master weights).");
  b.opt("log_every", o.log_every, "Log train metrics every N steps.").min(1);
  b.opt("eval_every", o.eval_every, "Evaluate every N steps; 0 only at the end.").min(0);
  b.opt("eval_batches", o.eval_batches, "Eval batches per evaluation; 0 means all.").min(0);
  b.opt("save_every", o.save_every, "Checkpoint every N steps; 0 only at the end.").min(0);
  b.opt("keep_last", o.keep_last, "Checkpoints kept (the best one is kept too); 0 keeps all.")
      .min(0);
  b.opt("best_metric", o.best_metric, "Metric that picks the best checkpoint.");
  b.opt(
      "save_best", o.save_best,
      "Write a checkpoint whenever best_metric improves, keep it, and link it as `best` in the run "
      "directory.");
  b.choice("best_mode", o.best_mode, {"min", "max"},
           "Whether lower or higher best_metric is better.");
  b.opt("num_workers", o.num_workers, "Background threads loading samples; 0 loads inline.").min(0);
  b.opt("prefetch", o.prefetch, "Batches prepared ahead of training.").min(1);
  b.opt("shuffle", o.shuffle, "Shuffle training samples each epoch (seeded).");
  b.opt("max_bad_steps", o.max_bad_steps, "Abort after this many non-finite steps in a row.")
      .min(1);
  b.opt("allow_changed_on_resume", o.allow_changed_on_resume,
        "Recipe keys (globs) allowed to differ when resuming.");
  b.opt("progress_bar", o.progress_bar, "Show a progress bar on a terminal.");
  b.opt("allow_world_size_change", o.allow_world_size_change,
        "Resume a checkpoint written with another number of processes, at the same place in "
        "the epoch's sample order.");
}

DefaultTrainer::DefaultTrainer(const Options& o) : o_(o) {}

BatchSizes DefaultTrainer::batch_sizes() const {
  return {o_.batch_size, o_.eval_batch_size > 0 ? o_.eval_batch_size : o_.batch_size,
          o_.eval_batches};
}

int DefaultTrainer::train(const TrainerParts& parts, const TrainerRun& run) {
  return TrainingLoop(o_, parts, run).run();
}

HIGGS_REGISTER(Trainer, DefaultTrainer, "default",
               "Training loop with accumulation, bf16, eval and exact resume.");

}  // namespace higgs
