// Which examples form which batch, for one epoch and one rank: the plans the samplers are made
// of. Pure functions of their arguments (seeded by the run's seed and the epoch), so every rank
// computes the same global plan and a resumed run the same batches.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace higgs {

/// This rank's batches of one epoch, in order; each a list of dataset indices.
using BatchPlan = std::vector<std::vector<size_t>>;

/// `candidates` shuffled by (seed, epoch) with a 64-bit Mersenne twister and a Fisher-Yates
/// shuffle written here (std::shuffle differs between standard libraries), or as given.
std::vector<size_t> shuffled(std::vector<size_t> candidates, int64_t seed, int64_t epoch,
                             bool shuffle = true);
/// 0 .. n-1, shuffled as above.
std::vector<size_t> epoch_permutation(size_t n, int64_t seed, int64_t epoch, bool shuffle = true);

/// Fixed-size batches: rank r takes order[r], order[r + world], ... (a global batch is a
/// contiguous run of `order`, the samples one process with a world times larger batch takes).
/// even_shards: every rank takes order.size() / world (the tail is dropped, ranks step in
/// lockstep); otherwise the ranks together cover every example once (evaluation). drop_last
/// drops a final batch shorter than batch_size.
BatchPlan fixed_size_batches(const std::vector<size_t>& order, int64_t batch_size, int rank,
                             int world, bool even_shards, bool drop_last);

struct TokenBudget {
  int64_t max_tokens = 0;    // per batch: examples x the longest of them (the padded size)
  int64_t max_examples = 0;  // 0: no limit
  int64_t buckets = 10;      // length buckets (quantiles of the epoch's lengths)
  bool drop_last = false;    // drop each bucket's last batch when it has room for one more
};

struct BudgetBatches {
  BatchPlan batches;             // global: every rank's, before shard_batches
  std::vector<size_t> too_long;  // examples longer than the budget alone (left out)
};

/// Token-budget batches of `order`: each example goes to the length bucket of its length, the
/// examples of a bucket (in `order`'s order) are packed greedily while the batch's padded size
/// stays within the budget, and the batches of all buckets are shuffled by (seed, epoch) so that
/// lengths are mixed over the epoch. Every example of `order` within the budget is in exactly
/// one batch (unless drop_last).
BudgetBatches token_budget_batches(const std::vector<size_t>& order,
                                   const std::function<int64_t(size_t)>& length,
                                   const TokenBudget& budget, int64_t seed, int64_t epoch,
                                   bool shuffle);

/// Rank r's share of global batches: batches r, r + world, ...; the batches after the last whole
/// round of `world` are dropped, so that every rank has as many batches and none waits.
BatchPlan shard_batches(const BatchPlan& global, int rank, int world);

/// Evaluation batches that never mix two label sets (so each batch's loss belongs to its
/// labels' metrics): rank r takes examples r, r + world, ... of 0 .. n-1, grouped by labels in
/// the order they first appear, each group cut into batches of batch_size.
BatchPlan grouped_batches(size_t n, const std::function<std::string(size_t)>& group_of,
                          int64_t batch_size, int rank, int world);

/// Sampling weights of datasets of `sizes` at temperature t: size^(1/t), normalised (t = 1:
/// proportional to size, t -> infinity: uniform).
std::vector<double> temperature_weights(const std::vector<size_t>& sizes, double temperature);

/// One epoch of a mixture of datasets, each a contiguous range of indices (begin, size): `draws`
/// indices, each from a dataset drawn by `weights`, then the next example of that dataset's
/// shuffled order (a dataset drawn more often than its size starts a new shuffled pass).
std::vector<size_t> mixture_draws(const std::vector<std::pair<size_t, size_t>>& ranges,
                                  const std::vector<double>& weights, size_t draws, int64_t seed,
                                  int64_t epoch);

/// The easiest `fraction` of `candidates` by `difficulty` (ascending, ties by index), at least one.
std::vector<size_t> easiest_fraction(std::vector<size_t> candidates,
                                     const std::function<double(size_t)>& difficulty,
                                     double fraction);

}  // namespace higgs
