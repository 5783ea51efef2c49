#include "components/schedulers/schedules.h"
#include "framework/registry/registry.h"
#include "framework/train/scheduler.h"

namespace higgs {

void ConstantSchedule::bind(Binder& b, Options& o) { Warmup::bind(b, o.warmup); }

ConstantSchedule::ConstantSchedule(const Options& options) : options_(options) {
  options_.warmup.check("constant");
}

double ConstantSchedule::lr_scale(int64_t step, int64_t total_steps) const {
  const int64_t warmup = options_.warmup.steps(total_steps);
  if (step < warmup) return Warmup::ramp(step, warmup);
  return 1.0;
}

HIGGS_REGISTER(higgs::Scheduler, higgs::ConstantSchedule, "constant",
               "Linear warmup from 0, then the base learning rate.");

}  // namespace higgs
