// Kind `sampler`: which examples form which batch in each epoch (fixed-size batches, token
// budgets, a curriculum), and how several mixed datasets are drawn. A recipe without one gets
// fixed-size batches of the trainer's batch_size, each example once per epoch.
//
//   sampler: { type: 'token_budget', max_tokens_per_batch: 6000 }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/train/batch_plan.h"

namespace higgs {

class Dataset;
struct RecipePlan;
class Diagnostics;

/// What a plan is made for besides the dataset: the epoch, the optimizer step it starts at, and
/// the trainer's settings.
struct PlanContext {
  int64_t epoch = 0;
  int64_t start_step = 0;   // optimizer steps done before this epoch's first batch
  int64_t total_steps = 0;  // the run's planned steps (0: unknown)
  int64_t seed = 0;
  int rank = 0, world_size = 1;
  int64_t batch_size = 1;  // the trainer's, for fixed-size batching
  int64_t grad_accum_steps = 1;
  bool shuffle = true;
  bool drop_last = false;
};

class Sampler {
 public:
  static constexpr const char* kKind = "sampler";
  virtual ~Sampler() = default;
  /// This rank's batches of one epoch; every rank gets as many, no two ranks share an example,
  /// and the plan depends only on (dataset, context), so a resumed run gets the same batches.
  virtual BatchPlan plan(const Dataset& data, const PlanContext& ctx) const = 0;
  /// Whether a plan depends on the step its epoch starts at (a curriculum): epochs then differ in
  /// length and the trainer needs max_steps.
  virtual bool depends_on_step() const { return false; }
  /// A sentence for the log: "token-budget batches of at most 6000 positions".
  virtual std::string describe() const = 0;
};

}  // namespace higgs
