#include "components/samplers/sampler_common.h"

#include <numeric>

#include "framework/config/diagnostics.h"
#include "framework/run/recipe_plan.h"
#include "framework/train/dataset.h"

namespace higgs {

void MixOptions::bind(Binder& b, MixOptions& o) {
  b.opt("mix_weights", o.weights,
        "Sampling weight of each train_mix dataset, in recipe order; [] = by size.");
  b.opt("mix_temperature", o.temperature,
        "> 0: weights size^(1/T) (1 = by size, large = uniform) instead of mix_weights.")
      .min(0.0);
  b.opt("epoch_size", o.epoch_size,
        "Examples drawn per epoch from a train_mix; 0 = the datasets' total size.")
      .min(0);
}

void MixOptions::check(const MixOptions& o, const RecipePlan& plan, const std::string& path,
                       Diagnostics& diags) {
  auto mix = plan.lists.find("train_mix");
  const size_t datasets = mix == plan.lists.end() ? 0 : mix->second.size();
  if (o.mixing() && datasets == 0)
    diags.error(path + ".mix_weights",
                "mixing options need datasets in train_mix (a list of datasets drawn together)");
  if (!o.weights.empty() && datasets > 0 && o.weights.size() != datasets)
    diags.error(path + ".mix_weights", "has " + std::to_string(o.weights.size()) + " weights for " +
                                           std::to_string(datasets) +
                                           " train_mix datasets; give one per dataset");
  if (!o.weights.empty() && o.temperature > 0)
    diags.error(path + ".mix_temperature", "give mix_weights or mix_temperature, not both");
  double total = 0;
  for (double w : o.weights) {
    if (w < 0) diags.error(path + ".mix_weights", "weights must not be negative");
    total += w;
  }
  if (!o.weights.empty() && !(total > 0))
    diags.error(path + ".mix_weights", "the weights sum to zero");
}

std::vector<size_t> epoch_examples(const Dataset& data, const PlanContext& ctx,
                                   const MixOptions& mix, std::vector<size_t> pool) {
  const auto parts = data.parts();
  if (mix.mixing() && !parts.empty()) {
    std::vector<std::pair<size_t, size_t>> ranges;
    std::vector<size_t> sizes;
    for (const auto& p : parts) {
      ranges.push_back({p.begin, p.size});
      sizes.push_back(p.size);
    }
    std::vector<double> weights = mix.weights;
    if (weights.empty())
      weights = temperature_weights(sizes, mix.temperature > 0 ? mix.temperature : 1.0);
    const size_t draws = mix.epoch_size > 0 ? static_cast<size_t>(mix.epoch_size) : data.size();
    auto drawn = mixture_draws(ranges, weights, draws, ctx.seed, ctx.epoch);
    if (pool.empty()) return drawn;
    std::vector<char> in_pool(data.size(), 0);
    for (size_t i : pool) in_pool[i] = 1;
    std::vector<size_t> kept;
    for (size_t i : drawn)
      if (in_pool[i]) kept.push_back(i);
    return kept;
  }
  if (pool.empty()) return epoch_permutation(data.size(), ctx.seed, ctx.epoch, ctx.shuffle);
  return shuffled(std::move(pool), ctx.seed, ctx.epoch, ctx.shuffle);
}

int64_t example_length(const Dataset& data, size_t index, const std::string& sampler) {
  auto info = data.info(index);
  if (!info)
    throw RecipeError("sampler " + sampler +
                      " needs the length of every example, and this dataset cannot tell them (" +
                      data.describe(index) + "); use the default fixed-size batches");
  return info->length;
}

}  // namespace higgs
