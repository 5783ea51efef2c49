// Sampler `curriculum`: trains on the easiest examples first and widens the pool over the
// steps. Examples are ranked by a difficulty key (`length`: text tokens + audio frames, or any
// numeric fact of the example: target_seconds, text_chars, a misc field); from step
// pool_steps[k] the pool is the easiest pool_fractions[k] of them. Each epoch is a pass over
// the pool of its first step, cut short where the next stage begins, so the pool is as wide as
// configured from that step on; batches are fixed-size or token-budget.
//
//   sampler: { type: 'curriculum', key: 'target_seconds',
//              pool_steps: [0, 200, 400], pool_fractions: [0.34, 0.67, 1.0] }
#include <spdlog/spdlog.h>

#include "components/samplers/sampler_common.h"
#include "components/samplers/token_budget_options.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "framework/train/dataset.h"

namespace higgs {
namespace {

class CurriculumSampler : public Sampler {
 public:
  struct Options {
    std::string key = "length";
    std::vector<int64_t> pool_steps{0};
    std::vector<double> pool_fractions{1.0};
    TokenBudgetOptions budget;
    MixOptions mix;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("key", o.key,
          "Difficulty: length (tokens + frames), target_seconds, reference_seconds, text_chars, "
          "chars_per_second or a numeric misc field.");
    b.opt("pool_steps", o.pool_steps, "Steps at which each stage begins; the first is 0.");
    b.opt("pool_fractions", o.pool_fractions,
          "Fraction of the examples (easiest first) in each stage's pool, growing.");
    TokenBudgetOptions::bind(b, o.budget, false);
    MixOptions::bind(b, o.mix);
  }
  static void check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                         Diagnostics& diags) {
    MixOptions::check(o.mix, plan, path, diags);
    if (o.pool_steps.size() != o.pool_fractions.size() || o.pool_steps.empty())
      diags.error(path + ".pool_fractions", "needs one fraction per entry of pool_steps (" +
                                                std::to_string(o.pool_steps.size()) + " steps, " +
                                                std::to_string(o.pool_fractions.size()) +
                                                " fractions)");
    if (!o.pool_steps.empty() && o.pool_steps.front() != 0)
      diags.error(path + ".pool_steps", "must start at step 0 (the first stage's pool)");
    for (size_t k = 1; k < o.pool_steps.size(); ++k)
      if (o.pool_steps[k] <= o.pool_steps[k - 1])
        diags.error(path + ".pool_steps", "must increase (" + std::to_string(o.pool_steps[k]) +
                                              " after " + std::to_string(o.pool_steps[k - 1]) +
                                              ")");
    for (size_t k = 0; k < o.pool_fractions.size(); ++k) {
      const double f = o.pool_fractions[k];
      if (!(f > 0 && f <= 1))
        diags.error(path + ".pool_fractions", "each fraction must be in (0, 1]");
      else if (k > 0 && f < o.pool_fractions[k - 1])
        diags.error(path + ".pool_fractions", "must not shrink (the pool only widens)");
    }
  }
  explicit CurriculumSampler(const Options& o) : o_(o) {}

  BatchPlan plan(const Dataset& data, const PlanContext& ctx) const override {
    size_t stage = 0;
    while (stage + 1 < o_.pool_steps.size() && o_.pool_steps[stage + 1] <= ctx.start_step) ++stage;
    std::vector<size_t> all(data.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    auto pool = easiest_fraction(
        all, [&](size_t i) { return difficulty(data, i); }, o_.pool_fractions[stage]);
    auto order = epoch_examples(data, ctx, o_.mix, pool);
    BatchPlan plan = o_.budget.max_tokens_per_batch > 0
                         ? budget_plan(data, ctx, order, o_.budget, "curriculum")
                         : fixed_size_batches(order, ctx.batch_size, ctx.rank, ctx.world_size, true,
                                              ctx.drop_last);
    // The epoch ends where the next stage begins: its steps need grad_accum_steps batches each.
    if (stage + 1 < o_.pool_steps.size()) {
      const int64_t steps_left = o_.pool_steps[stage + 1] - ctx.start_step;
      const size_t max_batches = static_cast<size_t>(steps_left * ctx.grad_accum_steps);
      if (plan.size() > max_batches) plan.resize(max_batches);
    }
    if (ctx.rank == 0)
      spdlog::info(
          "curriculum: epoch {} from step {}: the easiest {} of {} examples by {} "
          "({:.0f}%), {} batches",
          ctx.epoch, ctx.start_step, pool.size(), data.size(), o_.key,
          100.0 * o_.pool_fractions[stage], plan.size());
    return plan;
  }
  bool depends_on_step() const override { return true; }
  std::string describe() const override {
    return "a curriculum by " + o_.key + " over " + std::to_string(o_.pool_steps.size()) +
           " stages";
  }

 private:
  double difficulty(const Dataset& data, size_t i) const {
    auto info = data.info(i);
    if (!info)
      throw RecipeError("sampler curriculum needs each example's " + o_.key +
                        ", and this dataset cannot tell it (" + data.describe(i) + ")");
    if (o_.key == "length") return double(info->length);
    auto it = info->fields.find(o_.key);
    if (it == info->fields.end()) {
      std::string known;
      for (const auto& [k, v] : info->fields) known += (known.empty() ? "" : ", ") + k;
      throw RecipeError("sampler.key: " + data.describe(i) + " has no numeric \"" + o_.key +
                        "\" (it has: length" + (known.empty() ? "" : ", " + known) + ")");
    }
    return it->second;
  }
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Sampler, CurriculumSampler, "curriculum",
               "Easiest examples first (by a difficulty key), the pool widening over the steps.");

}  // namespace higgs
