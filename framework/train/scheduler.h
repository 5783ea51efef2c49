// Kind `scheduler`: the learning rate of each step, as a multiple of the optimizer's.
#pragma once

#include <cstdint>

namespace higgs {

class Scheduler {
 public:
  static constexpr const char* kKind = "scheduler";
  virtual ~Scheduler() = default;
  /// Multiplier of the base learning rate for optimizer step `step` (0-based), given the total
  /// number of steps of the run.
  virtual double lr_scale(int64_t step, int64_t total_steps) const = 0;
};

}  // namespace higgs
