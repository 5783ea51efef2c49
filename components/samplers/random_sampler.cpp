// Sampler `random`: fixed-size batches of the trainer's batch_size, each example once per epoch
// in a seeded order (what a recipe without a sampler gets), or a train_mix drawn by weights.
//
//   sampler: { type: 'random', mix_weights: [3, 1] }
#include <spdlog/spdlog.h>

#include "components/samplers/sampler_common.h"
#include "framework/registry/registry.h"
#include "framework/train/dataset.h"

namespace higgs {
namespace {

class RandomSampler : public Sampler {
 public:
  struct Options {
    MixOptions mix;
  };
  static void bind(Binder& b, Options& o) { MixOptions::bind(b, o.mix); }
  static void check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                         Diagnostics& diags) {
    MixOptions::check(o.mix, plan, path, diags);
  }
  explicit RandomSampler(const Options& o) : o_(o) {}

  BatchPlan plan(const Dataset& data, const PlanContext& ctx) const override {
    return fixed_size_batches(epoch_examples(data, ctx, o_.mix), ctx.batch_size, ctx.rank,
                              ctx.world_size, true, ctx.drop_last);
  }
  std::string describe() const override { return "fixed-size batches in a seeded order"; }

 private:
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Sampler, RandomSampler, "random",
               "Fixed-size batches (the trainer's batch_size), seeded order; mixes train_mix.");

}  // namespace higgs
