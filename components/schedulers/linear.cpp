#include <algorithm>

#include "components/schedulers/schedules.h"
#include "framework/registry/registry.h"
#include "framework/train/scheduler.h"

namespace higgs {

void LinearSchedule::bind(Binder& b, Options& o) {
  Warmup::bind(b, o.warmup);
  b.opt("min_lr_ratio", o.min_lr_ratio, "Final lr as a fraction of the base lr.").min(0.0).max(1.0);
}

LinearSchedule::LinearSchedule(const Options& options) : options_(options) {
  options_.warmup.check("linear");
}

double LinearSchedule::lr_scale(int64_t step, int64_t total_steps) const {
  const int64_t warmup = options_.warmup.steps(total_steps);
  if (step < warmup) return Warmup::ramp(step, warmup);
  // Operation order of HF's _get_linear_schedule_with_warmup_lr_lambda, so min_lr_ratio 0 is
  // bit-identical to it (x * 1.0 + 0.0 == x).
  const double decay =
      std::max(0.0, static_cast<double>(total_steps - step) /
                        static_cast<double>(std::max<int64_t>(1, total_steps - warmup)));
  const double min = options_.min_lr_ratio;
  return decay * (1 - min) + min;
}

HIGGS_REGISTER(higgs::Scheduler, higgs::LinearSchedule, "linear",
               "Linear warmup from 0, then linear decay to min_lr_ratio at the last step.");

}  // namespace higgs
