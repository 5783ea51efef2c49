// Turning loss terms into the number that is back-propagated and the numbers that are logged.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/train/model.h"

namespace higgs {

/// Σ_t weight_t · sum_t / window_count_t: the loss of one micro-batch normalised by the number of
/// targets over the whole accumulation window (every rank included), so accumulating k micro-
/// batches equals one batch k times larger.
at::Tensor window_loss(const std::vector<LossTerm>& terms,
                       const std::map<std::string, int64_t>& window_counts);

/// Sums loss terms over batches and reports per-term, per-group and total losses/accuracies.
class LossAccumulator {
 public:
  void add(const std::vector<LossTerm>& terms);
  void clear() {
    totals_.clear();
    order_.clear();
  }
  bool empty() const { return totals_.empty(); }
  /// {"loss", "<group>_loss", "<term>_loss", "<term>_acc", "<group>_acc"} with `prefix`.
  Json metrics(const std::string& prefix) const;
  /// Raw totals [sum, count, correct] per term, for all-reducing across ranks.
  std::map<std::string, std::array<double, 3>> totals() const;
  void set_totals(const std::map<std::string, std::array<double, 3>>& t);

 private:
  struct Total {
    std::string group;
    double weight = 1.0, sum = 0.0;
    int64_t count = 0, correct = 0;
    bool has_correct = false;
  };
  std::vector<std::string> order_;
  std::map<std::string, Total> totals_;
};

}  // namespace higgs
