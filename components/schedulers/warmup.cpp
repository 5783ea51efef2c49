#include <cmath>
#include <stdexcept>
#include <string>

#include "components/schedulers/schedules.h"

namespace higgs {

void Warmup::bind(Binder& b, Warmup& w) {
  b.opt("warmup_steps", w.warmup_steps,
        "Optimizer steps of linear warmup from 0 (exclusive with warmup_ratio).")
      .min(0);
  b.opt("warmup_ratio", w.warmup_ratio,
        "Warmup as a fraction of the total steps, rounded up (exclusive with warmup_steps).")
      .min(0.0)
      .max(1.0);
}

void Warmup::check(const char* scheduler) const {
  if (warmup_steps > 0 && warmup_ratio > 0)
    throw std::invalid_argument(std::string("scheduler \"") + scheduler +
                                "\": set warmup_steps or warmup_ratio, not both (got " +
                                std::to_string(warmup_steps) + " and " +
                                std::to_string(warmup_ratio) + ")");
}

int64_t Warmup::steps(int64_t total_steps) const {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(static_cast<double>(total_steps) * warmup_ratio));
}

double Warmup::ramp(int64_t step, int64_t warmup) {
  return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
}

}  // namespace higgs
