// Schedulers `constant`, `linear` and `cosine`: a linear warmup from 0, then a constant, linear
// or cosine multiplier of the optimizer's base lr. With min_lr_ratio 0 they are exactly the
// lambdas of HF transformers' get_{constant,linear,cosine}_schedule_with_warmup, evaluated at the
// 0-based optimizer step (formulas in docs/optimizers.md).
//
//   scheduler: {type: "cosine", warmup_ratio: 0.03, min_lr_ratio: 0.1}
#pragma once

#include <cstdint>

#include "framework/config/options.h"
#include "framework/train/optimizer.h"
#include "framework/train/scheduler.h"

namespace higgs {

/// Warmup settings shared by the schedulers.
struct Warmup {
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;
  static void bind(Binder& b, Warmup& w);
  /// Throws when both warmup_steps and warmup_ratio are set.
  void check(const char* scheduler) const;
  /// warmup_steps if set, else ceil(warmup_ratio * total_steps) (as HF TrainingArguments).
  int64_t steps(int64_t total_steps) const;
  /// step / max(1, warmup) for step < warmup (the HF warmup ramp).
  static double ramp(int64_t step, int64_t warmup);
};

/// Linear warmup, then the base lr.
class ConstantSchedule : public Scheduler {
 public:
  struct Options {
    Warmup warmup;
  };
  static void bind(Binder& b, Options& o);
  explicit ConstantSchedule(const Options& options);
  double lr_scale(int64_t step, int64_t total_steps) const override;

 private:
  Options options_;
};

/// Linear warmup, then a linear decay to min_lr_ratio at total_steps.
class LinearSchedule : public Scheduler {
 public:
  struct Options {
    Warmup warmup;
    double min_lr_ratio = 0.0;
  };
  static void bind(Binder& b, Options& o);
  explicit LinearSchedule(const Options& options);
  double lr_scale(int64_t step, int64_t total_steps) const override;

 private:
  Options options_;
};

/// Linear warmup, then a cosine from 1 to min_lr_ratio (num_cycles 0.5 = half a period).
class CosineSchedule : public Scheduler {
 public:
  struct Options {
    Warmup warmup;
    double min_lr_ratio = 0.0;
    double num_cycles = 0.5;
  };
  static void bind(Binder& b, Options& o);
  explicit CosineSchedule(const Options& options);
  double lr_scale(int64_t step, int64_t total_steps) const override;

 private:
  Options options_;
};

}  // namespace higgs
