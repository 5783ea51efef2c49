// Trainer `default`: epochs or max_steps, gradient accumulation normalised by target counts,
// clipping, fp32/bf16, evaluation, metrics, crash-safe checkpoints and exact resume.
//
//   trainer: { type: "default", max_steps: 200, batch_size: 4, grad_accum_steps: 2,
//              precision: "bf16", log_every: 10, eval_every: 50, save_every: 100 }
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/registry/registry.h"
#include "framework/train/trainer.h"

namespace higgs {

class DefaultTrainer : public Trainer {
 public:
  struct Options {
    int64_t max_steps = 0;  // 0: run `epochs` epochs
    int64_t epochs = 1;
    int64_t batch_size = 8;
    int64_t eval_batch_size = 0;  // 0: batch_size
    int64_t grad_accum_steps = 1;
    double max_grad_norm = 1.0;
    std::string precision = "fp32";
    int64_t log_every = 10;
    int64_t eval_every = 0;
    int64_t eval_batches = 0;
    int64_t save_every = 0;
    int64_t keep_last = 2;
    std::string best_metric = "eval/loss";
    std::string best_mode = "min";
    bool save_best = true;
    int64_t num_workers = 2;
    int64_t prefetch = 4;
    bool shuffle = true;
    int64_t max_bad_steps = 5;
    std::vector<std::string> allow_changed_on_resume;
    bool progress_bar = true;
    bool allow_world_size_change = false;
  };
  static void bind(Binder& b, Options& o);
  explicit DefaultTrainer(const Options& o);
  int train(const TrainerParts& parts, const TrainerRun& run) override;
  BatchSizes batch_sizes() const override;

 private:
  Options o_;
};

}  // namespace higgs
