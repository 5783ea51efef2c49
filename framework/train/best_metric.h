// The trainer's best_metric across evaluations. The best value and the checkpoint that holds it
// live in the TrainState, so they survive a resume.
#pragma once

#include <string>

#include "framework/train/trainer_state.h"

namespace higgs {

class BestMetricTracker {
 public:
  /// `mode` "min" or "max"; with `save_best` an improvement asks for a checkpoint of its own.
  BestMetricTracker(std::string metric, std::string mode, bool save_best)
      : metric_(std::move(metric)), minimize_(mode == "min"), save_best_(save_best) {}
  /// Records the eval metrics of `state.step`. True when best_metric improved and a checkpoint
  /// of this step is to be kept and linked as `best` (state.best_checkpoint names it).
  bool observe(const Json& metrics, TrainState& state) const;

 private:
  std::string metric_;
  bool minimize_;
  bool save_best_;
};

}  // namespace higgs
