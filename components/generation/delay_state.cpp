#include "components/generation/delay_state.h"

#include <stdexcept>
#include <string>

namespace higgs::generation {

DelayPatternState::DelayPatternState(int64_t num_codebooks, int64_t bos, int64_t eos,
                                     bool use_delay_pattern)
    : k_(num_codebooks), bos_(bos), eos_(eos), delay_(use_delay_pattern) {
  if (k_ <= 0) throw std::invalid_argument("DelayPatternState: num_codebooks must be positive");
}

std::vector<int64_t> DelayPatternState::start() {
  num_delay_ = 0;
  remaining_.reset();
  return std::vector<int64_t>(static_cast<size_t>(k_), bos_);
}

bool DelayPatternState::apply(std::vector<int64_t>& frame) {
  if (static_cast<int64_t>(frame.size()) != k_)
    throw std::invalid_argument("DelayPatternState: frame has " + std::to_string(frame.size()) +
                                " codebooks, expected " + std::to_string(k_));
  if (!delay_) return frame[0] == eos_;
  // Ramp-in: codebook k starts k frames after codebook 0.
  if (num_delay_ + 1 < k_) {
    for (int64_t k = num_delay_ + 1; k < k_; ++k) frame[k] = bos_;
    ++num_delay_;
  }
  if (remaining_) {
    // Ramp-out: the codebooks below K - remaining have ended.
    for (int64_t k = 0; k < k_ - *remaining_; ++k) frame[k] = eos_;
    --*remaining_;
  } else {
    // The reference takes the first codebook that sampled EOS (its "last_eos_idx" is element
    // [-1] of nonzero()[0], a one-element row): lower codebooks end too.
    for (int64_t k = 0; k < k_; ++k)
      if (frame[k] == eos_) {
        for (int64_t j = 0; j < k; ++j) frame[j] = eos_;
        remaining_ = k_ - k - 1;
        break;
      }
  }
  if (remaining_ && *remaining_ <= 0) {
    num_delay_ = 0;
    remaining_.reset();
    return true;
  }
  return false;
}

}  // namespace higgs::generation
