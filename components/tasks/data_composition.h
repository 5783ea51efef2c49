// What data-check says about a dataset's make-up, from what the dataset knows of each sample
// without loading it: the samples its filters dropped (by reason), the count per label (each
// language, each mixed dataset), histograms of target and reference durations and of speaking
// rates, and how a sampler's batches of epoch 0 pad compared with fixed-size batches.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/config.h"
#include "framework/train/dataset.h"

namespace higgs {

class Sampler;

/// Counts of values in bins [edges[i], edges[i+1]); the last bin is open ("30+").
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
  explicit Histogram(std::vector<double> e = {});
  void add(double v);
  Json to_json() const;
  /// "0-1 s: 3  1-2 s: 10 ..." on one line.
  std::string to_text(const std::string& unit) const;
};

/// Padding of a batch plan: positions the batches hold (examples x their longest) against the
/// examples' own lengths.
struct PaddingReport {
  int64_t batches = 0, examples = 0, positions = 0, padded_positions = 0;
  double padding_fraction() const {
    return padded_positions > 0 ? double(padded_positions - positions) / double(padded_positions)
                                : 0.0;
  }
};

struct CompositionReport {
  std::map<std::string, int64_t> dropped_by_reason;
  int64_t dropped = 0;
  std::map<std::string, int64_t> labels;  // "language/de" -> samples
  bool has_info = false;                  // the dataset tells lengths and durations
  Histogram target_seconds{{0, 1, 2, 3, 5, 8, 12, 20, 30}};
  Histogram reference_seconds{{0, 1, 2, 3, 5, 8, 12, 20, 30}};
  Histogram chars_per_second{{0, 5, 10, 15, 20, 25, 30}};
  // Epoch 0 of the recipe's sampler, and of fixed-size batches of the trainer's batch size.
  bool has_sampler = false;
  std::string sampler;
  PaddingReport sampled, fixed;
};

/// The report of `ds` (training split: `sampler` may be null; batch_size is the trainer's).
CompositionReport composition_of(const Dataset& ds, const Sampler* sampler, int64_t batch_size,
                                 int64_t seed);
/// The padding of `plan` given each example's length.
PaddingReport padding_of(const std::vector<std::vector<size_t>>& plan, const Dataset& ds);
Json composition_json(const CompositionReport& r);
void print_composition(const CompositionReport& r);

}  // namespace higgs
