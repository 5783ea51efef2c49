#include <algorithm>
#include <cmath>

#include "components/schedulers/schedules.h"
#include "framework/registry/registry.h"
#include "framework/train/scheduler.h"

namespace higgs {

void CosineSchedule::bind(Binder& b, Options& o) {
  Warmup::bind(b, o.warmup);
  b.opt("min_lr_ratio", o.min_lr_ratio, "Lowest lr as a fraction of the base lr.")
      .min(0.0)
      .max(1.0);
  b.opt("num_cycles", o.num_cycles,
        "Cosine periods after warmup; 0.5 goes from 1 down to min_lr_ratio once.")
      .min(0.0);
}

CosineSchedule::CosineSchedule(const Options& options) : options_(options) {
  options_.warmup.check("cosine");
}

double CosineSchedule::lr_scale(int64_t step, int64_t total_steps) const {
  const int64_t warmup = options_.warmup.steps(total_steps);
  if (step < warmup) return Warmup::ramp(step, warmup);
  // Operation order of HF's _get_cosine_schedule_with_warmup_lr_lambda (and of its min-lr
  // variant), so the values agree bit for bit.
  const double progress = static_cast<double>(step - warmup) /
                          static_cast<double>(std::max<int64_t>(1, total_steps - warmup));
  const double factor = 0.5 * (1.0 + std::cos(M_PI * options_.num_cycles * 2.0 * progress));
  const double min = options_.min_lr_ratio;
  return std::max(0.0, factor * (1 - min) + min);
}

HIGGS_REGISTER(higgs::Scheduler, higgs::CosineSchedule, "cosine",
               "Linear warmup from 0, then cosine decay to min_lr_ratio (HF cosine schedule).");

}  // namespace higgs
