// The loop of the `default` trainer, made of parts: the Checkpointer writes and reads what a
// checkpoint holds, resume_training checks and restores one, a TrainSchedule says when to log,
// evaluate and save, a BestMetricTracker follows best_metric, a StopSignals guard turns Ctrl-C
// into a checkpoint. What is left here is one optimizer step and the order of things around it.
#pragma once

#include <memory>
#include <string>

#include "framework/train/best_metric.h"
#include "framework/train/checkpointer.h"
#include "framework/train/data_loader.h"
#include "framework/train/default_trainer.h"
#include "framework/train/loss_metrics.h"
#include "framework/train/metrics_writer.h"
#include "framework/train/train_schedule.h"
#include "framework/util/progress_bar.h"

namespace higgs {

class TrainingLoop {
 public:
  TrainingLoop(const DefaultTrainer::Options& options, const TrainerParts& parts,
               const TrainerRun& run);
  ~TrainingLoop();
  /// Resumes when asked, then trains to the last step, a callback's stop or a stop signal.
  /// Returns the process exit code.
  int run();

 private:
  enum class Step { kDone, kEpochOver, kSkipped };
  /// The loader's options with the recipe's sampler as its plan (unchanged without one).
  LoaderOptions with_sampler_plan(LoaderOptions lo) const;
  /// Makes the run's TrainState: resumed or fresh, with this run's plan and data files.
  void start();
  /// One optimizer step over grad_accum_steps micro-batches on every rank.
  Step step();
  /// Reduces, writes and prints the train metrics of the steps since the last log.
  void log_train_metrics();
  /// Evaluates (every rank) and records the metrics: log, metrics.jsonl, best metric, callbacks.
  void evaluate();
  /// Rank 0 writes a checkpoint (and final/ at the end); every rank waits, and all stop when it
  /// failed.
  void save(bool is_final);
  void write_checkpoint(bool is_final);

  const DefaultTrainer::Options& o_;
  const TrainerParts& parts_;
  const TrainerRun& run_;
  std::shared_ptr<Communicator> comm_;
  const bool main_rank_;
  const at::Device device_;  // the trainable parameters': autocast, RNG state, memory figures
  LoaderOptions loader_options_;
  DataLoader loader_;
  Checkpointer checkpoints_;
  TrainSchedule schedule_;
  int64_t steps_per_epoch_ = 0;
  BestMetricTracker best_;
  TrainState state_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<ProgressBar> progress_;
  // Since the last log: loss totals, gradient norms, steps. The step's loss, for the bar.
  LossAccumulator train_losses_;
  double grad_norm_sum_ = 0.0;
  int64_t window_steps_ = 0;
  double last_loss_ = 0.0;
  double last_lr_scale_ = 1.0;
  bool best_pending_ = false;  // best_metric improved: this step's checkpoint is the best
  int signal_seen_ = 0;        // a stop signal any rank received
};

}  // namespace higgs
