// When the `default` trainer logs, evaluates and saves between the first and the last step. The
// end of training always evaluates and saves; the last step always logs.
#pragma once

#include <cstdint>

namespace higgs {

struct TrainSchedule {
  int64_t total_steps = 0;
  int64_t log_every = 1;
  int64_t eval_every = 0;  // 0: only at the end
  int64_t save_every = 0;  // 0: only at the end

  bool log_now(int64_t step) const { return step % log_every == 0 || step == total_steps; }
  bool eval_now(int64_t step) const { return every(eval_every, step); }
  bool save_now(int64_t step) const { return every(save_every, step); }

 private:
  bool every(int64_t n, int64_t step) const { return n > 0 && step % n == 0 && step < total_steps; }
};

}  // namespace higgs
