// The token-budget batching options and plan, shared by the token_budget and curriculum samplers.
#pragma once

#include <string>
#include <vector>

#include "framework/config/options.h"
#include "framework/train/sampler.h"

namespace higgs {

struct TokenBudgetOptions {
  int64_t max_tokens_per_batch = 0;  // 0: fixed-size batches (curriculum only)
  int64_t max_examples_per_batch = 0;
  int64_t buckets = 10;
  bool drop_last = false;
  /// `required`: max_tokens_per_batch must be given (token_budget); else 0 means fixed size.
  static void bind(Binder& b, TokenBudgetOptions& o, bool required);
};

/// This rank's token-budget batches of `order` (examples over the budget are left out, with a
/// warning on rank 0 naming how many and the first).
BatchPlan budget_plan(const Dataset& data, const PlanContext& ctx, const std::vector<size_t>& order,
                      const TokenBudgetOptions& o, const std::string& sampler);

}  // namespace higgs
