#include "components/samplers/token_budget_options.h"

#include <spdlog/spdlog.h>

#include "components/samplers/sampler_common.h"
#include "framework/train/dataset.h"

namespace higgs {

void TokenBudgetOptions::bind(Binder& b, TokenBudgetOptions& o, bool required) {
  if (required)
    b.req("max_tokens_per_batch", o.max_tokens_per_batch,
          "Padded positions per batch: examples x the longest (text tokens + audio frames).")
        .min(1);
  else
    b.opt("max_tokens_per_batch", o.max_tokens_per_batch,
          "Padded positions per batch (examples x the longest); 0 = the trainer's batch_size.")
        .min(0);
  b.opt("max_examples_per_batch", o.max_examples_per_batch,
        "At most this many examples per batch; 0 = no limit.")
      .min(0);
  b.opt("buckets", o.buckets, "Length buckets (quantiles); batches never mix buckets.").min(1);
  b.opt("drop_last", o.drop_last, "Drop each bucket's last batch when it is not full.");
}

BatchPlan budget_plan(const Dataset& data, const PlanContext& ctx, const std::vector<size_t>& order,
                      const TokenBudgetOptions& o, const std::string& sampler) {
  TokenBudget budget;
  budget.max_tokens = o.max_tokens_per_batch;
  budget.max_examples = o.max_examples_per_batch;
  budget.buckets = o.buckets;
  budget.drop_last = o.drop_last;
  auto length = [&](size_t i) { return example_length(data, i, sampler); };
  BudgetBatches global =
      token_budget_batches(order, length, budget, ctx.seed, ctx.epoch, ctx.shuffle);
  if (!global.too_long.empty() && ctx.rank == 0 && ctx.epoch == 0)
    spdlog::warn(
        "sampler {}: {} examples are longer than max_tokens_per_batch {} and left out "
        "(first: {}, {} positions); raise the budget or filter them",
        sampler, global.too_long.size(), o.max_tokens_per_batch,
        data.describe(global.too_long.front()), length(global.too_long.front()));
  return shard_batches(global.batches, ctx.rank, ctx.world_size);
}

}  // namespace higgs
