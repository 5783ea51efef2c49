// What the samplers share: the examples an epoch draws (every example once, or a weighted
// mixture of the recipe's train_mix datasets) and the lengths of length-aware batching.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/options.h"
#include "framework/train/sampler.h"

namespace higgs {

struct RecipePlan;
class Diagnostics;

/// How a sampler draws the datasets of a `train_mix` (each sampler has these options).
struct MixOptions {
  std::vector<double> weights;  // one per train_mix dataset; empty: by size (or temperature)
  double temperature = 0.0;     // > 0: weights size^(1/temperature) instead
  int64_t epoch_size = 0;       // draws per epoch; 0: the mixture's total size
  static void bind(Binder& b, MixOptions& o);
  /// The weights against the recipe's train_mix (one per dataset; not both ways given).
  static void check(const MixOptions& o, const RecipePlan& plan, const std::string& path,
                    Diagnostics& diags);
  bool mixing() const { return !weights.empty() || temperature > 0 || epoch_size > 0; }
};

/// The examples of one epoch in the order they are drawn: `pool` (every example when empty)
/// shuffled by (seed, epoch); for a mixture with mixing options, draws by the weights.
std::vector<size_t> epoch_examples(const Dataset& data, const PlanContext& ctx,
                                   const MixOptions& mix, std::vector<size_t> pool = {});

/// info(i).length of example i; throws a RecipeError naming the sampler when the dataset cannot
/// tell lengths.
int64_t example_length(const Dataset& data, size_t index, const std::string& sampler);

}  // namespace higgs
