// Sampler `token_budget`: batches of as many examples as fit a budget of padded positions
// (examples x the longest, text tokens + audio frames), from length buckets, so short clips
// travel in large batches and long ones in small, with little padding.
//
//   sampler: { type: 'token_budget', max_tokens_per_batch: 6000, buckets: 10 }
#include <spdlog/spdlog.h>

#include "components/samplers/sampler_common.h"
#include "components/samplers/token_budget_options.h"
#include "framework/registry/registry.h"
#include "framework/train/dataset.h"

namespace higgs {
namespace {

class TokenBudgetSampler : public Sampler {
 public:
  struct Options {
    TokenBudgetOptions budget;
    MixOptions mix;
  };
  static void bind(Binder& b, Options& o) {
    TokenBudgetOptions::bind(b, o.budget, true);
    MixOptions::bind(b, o.mix);
  }
  static void check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                         Diagnostics& diags) {
    MixOptions::check(o.mix, plan, path, diags);
  }
  explicit TokenBudgetSampler(const Options& o) : o_(o) {}

  BatchPlan plan(const Dataset& data, const PlanContext& ctx) const override {
    return budget_plan(data, ctx, epoch_examples(data, ctx, o_.mix), o_.budget, "token_budget");
  }
  std::string describe() const override {
    return "token-budget batches of at most " + std::to_string(o_.budget.max_tokens_per_batch) +
           " padded positions";
  }

 private:
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Sampler, TokenBudgetSampler, "token_budget",
               "Batches filled up to a budget of padded positions, from length buckets.");

}  // namespace higgs
