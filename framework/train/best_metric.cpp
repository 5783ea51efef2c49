#include "framework/train/best_metric.h"

#include <spdlog/spdlog.h>

namespace higgs {

bool BestMetricTracker::observe(const Json& metrics, TrainState& state) const {
  if (!metrics.contains(metric_)) return false;
  const double v = metrics[metric_].get<double>();
  const bool better = !state.has_best || (minimize_ ? v < state.best_value : v > state.best_value);
  if (!better) return false;
  state.has_best = true;
  state.best_value = v;
  if (!save_best_) return false;
  // By name: the run directory may be moved between runs.
  state.best_checkpoint = "checkpoint-" + std::to_string(state.step);
  spdlog::info("new best {} = {:.6g} at step {}", metric_, v, state.step);
  return true;
}

}  // namespace higgs
