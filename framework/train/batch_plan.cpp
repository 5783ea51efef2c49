#include "framework/train/batch_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <stdexcept>

#include "framework/util/portable_random.h"

namespace higgs {

namespace {

// Seeds of the plan's random streams: the run's seed, the epoch, and which stream (so that the
// batch shuffle and the mixture draws are independent of each other).
std::mt19937_64 plan_rng(int64_t seed, int64_t epoch, uint64_t stream = 0) {
  return std::mt19937_64(static_cast<uint64_t>(seed) * 1000003ULL + static_cast<uint64_t>(epoch) +
                         stream * 0x9E3779B97F4A7C15ULL);
}

template <class T>
void fisher_yates(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

}  // namespace

std::vector<size_t> shuffled(std::vector<size_t> candidates, int64_t seed, int64_t epoch,
                             bool shuffle) {
  if (!shuffle) return candidates;
  auto rng = plan_rng(seed, epoch);
  fisher_yates(candidates, rng);
  return candidates;
}

std::vector<size_t> epoch_permutation(size_t n, int64_t seed, int64_t epoch, bool shuffle) {
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t(0));
  return shuffled(std::move(idx), seed, epoch, shuffle);
}

BatchPlan fixed_size_batches(const std::vector<size_t>& order, int64_t batch_size, int rank,
                             int world, bool even_shards, bool drop_last) {
  if (batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  const size_t n = order.size(), w = static_cast<size_t>(world), r = static_cast<size_t>(rank);
  const size_t mine = even_shards ? n / w : (r < n ? (n - r + w - 1) / w : 0);
  BatchPlan plan;
  for (size_t i = 0; i < mine; i += static_cast<size_t>(batch_size)) {
    std::vector<size_t> batch;
    for (size_t j = i; j < std::min(mine, i + static_cast<size_t>(batch_size)); ++j)
      batch.push_back(order[j * w + r]);
    if (drop_last && static_cast<int64_t>(batch.size()) < batch_size) break;
    plan.push_back(std::move(batch));
  }
  return plan;
}

BudgetBatches token_budget_batches(const std::vector<size_t>& order,
                                   const std::function<int64_t(size_t)>& length,
                                   const TokenBudget& budget, int64_t seed, int64_t epoch,
                                   bool shuffle) {
  if (budget.max_tokens < 1) throw std::invalid_argument("max_tokens_per_batch must be positive");
  BudgetBatches out;
  std::vector<std::pair<size_t, int64_t>> kept;  // (index, length), in order
  for (size_t i : order) {
    const int64_t len = length(i);
    if (len > budget.max_tokens)
      out.too_long.push_back(i);
    else
      kept.push_back({i, std::max<int64_t>(len, 1)});
  }
  if (kept.empty()) return out;
  // Bucket upper bounds at the quantiles of this epoch's lengths: each bucket holds about as many
  // examples, and an example's batch mates are of similar length, so little is padding.
  std::vector<int64_t> sorted;
  for (const auto& k : kept) sorted.push_back(k.second);
  std::sort(sorted.begin(), sorted.end());
  const size_t nb = static_cast<size_t>(std::max<int64_t>(1, budget.buckets));
  std::vector<int64_t> bounds;
  for (size_t b = 1; b < nb; ++b) {
    const int64_t q = sorted[b * sorted.size() / nb];
    if (bounds.empty() || q > bounds.back()) bounds.push_back(q);
  }
  if (bounds.empty() || sorted.back() > bounds.back()) bounds.push_back(sorted.back());
  std::vector<std::vector<std::pair<size_t, int64_t>>> buckets(bounds.size());
  for (const auto& k : kept) {
    const size_t b = std::lower_bound(bounds.begin(), bounds.end(), k.second) - bounds.begin();
    buckets[b].push_back(k);
  }
  for (const auto& bucket : buckets) {
    std::vector<size_t> batch;
    int64_t longest = 0;
    auto fits = [&](int64_t len) {
      const int64_t n = static_cast<int64_t>(batch.size()) + 1;
      return n * std::max(longest, len) <= budget.max_tokens &&
             (budget.max_examples <= 0 || n <= budget.max_examples);
    };
    for (const auto& [index, len] : bucket) {
      if (!batch.empty() && !fits(len)) {
        out.batches.push_back(std::move(batch));
        batch.clear();
        longest = 0;
      }
      batch.push_back(index);
      longest = std::max(longest, len);
    }
    // The bucket's last batch: kept unless drop_last and it still had room for one more.
    const bool has_room = fits(longest);
    if (!batch.empty() && !(budget.drop_last && has_room)) out.batches.push_back(std::move(batch));
  }
  if (shuffle) {
    auto rng = plan_rng(seed, epoch, 1);
    fisher_yates(out.batches, rng);
  }
  return out;
}

BatchPlan shard_batches(const BatchPlan& global, int rank, int world) {
  const size_t w = static_cast<size_t>(world), rounds = global.size() / w;
  BatchPlan mine;
  for (size_t k = 0; k < rounds; ++k) mine.push_back(global[k * w + static_cast<size_t>(rank)]);
  return mine;
}

BatchPlan grouped_batches(size_t n, const std::function<std::string(size_t)>& group_of,
                          int64_t batch_size, int rank, int world) {
  if (batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  std::vector<std::string> order_of_groups;
  std::map<std::string, std::vector<size_t>> members;
  for (size_t i = static_cast<size_t>(rank); i < n; i += static_cast<size_t>(world)) {
    const std::string g = group_of(i);
    auto [it, fresh] = members.try_emplace(g);
    if (fresh) order_of_groups.push_back(g);
    it->second.push_back(i);
  }
  BatchPlan plan;
  for (const auto& g : order_of_groups) {
    const auto& m = members[g];
    for (size_t i = 0; i < m.size(); i += static_cast<size_t>(batch_size))
      plan.emplace_back(m.begin() + i,
                        m.begin() + std::min(m.size(), i + static_cast<size_t>(batch_size)));
  }
  return plan;
}

std::vector<double> temperature_weights(const std::vector<size_t>& sizes, double temperature) {
  if (temperature <= 0) throw std::invalid_argument("mix_temperature must be positive");
  std::vector<double> w;
  double total = 0;
  for (size_t s : sizes) total += (w.emplace_back(std::pow(double(s), 1.0 / temperature)));
  for (double& x : w) x /= total;
  return w;
}

std::vector<size_t> mixture_draws(const std::vector<std::pair<size_t, size_t>>& ranges,
                                  const std::vector<double>& weights, size_t draws, int64_t seed,
                                  int64_t epoch) {
  if (ranges.size() != weights.size() || ranges.empty())
    throw std::invalid_argument("one mixing weight per dataset is needed");
  std::vector<double> cumulative;
  double total = 0;
  for (size_t d = 0; d < weights.size(); ++d) {
    if (!(weights[d] >= 0)) throw std::invalid_argument("mixing weights must not be negative");
    total += ranges[d].second > 0 ? weights[d] : 0.0;  // an empty dataset is never drawn
    cumulative.push_back(total);
  }
  if (!(total > 0)) throw std::invalid_argument("the mixing weights sum to zero");
  auto rng = plan_rng(seed, epoch, 2);
  std::vector<std::vector<size_t>> orders(ranges.size());
  std::vector<size_t> next(ranges.size(), 0), passes(ranges.size(), 0);
  std::vector<size_t> out;
  out.reserve(draws);
  for (size_t k = 0; k < draws; ++k) {
    const double u = uniform01(rng) * total;
    size_t d = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
    d = std::min(d, ranges.size() - 1);
    while (ranges[d].second == 0) --d;  // u at a boundary after an empty dataset
    if (next[d] == orders[d].size()) {  // a fresh shuffled pass over dataset d
      std::vector<size_t> idx(ranges[d].second);
      std::iota(idx.begin(), idx.end(), ranges[d].first);
      // Each dataset's passes have their own stream: (epoch, dataset, pass).
      orders[d] = shuffled(std::move(idx), seed + 7919 * static_cast<int64_t>(d + 1),
                           epoch * 4096 + static_cast<int64_t>(passes[d]++));
      next[d] = 0;
    }
    out.push_back(orders[d][next[d]++]);
  }
  return out;
}

std::vector<size_t> easiest_fraction(std::vector<size_t> candidates,
                                     const std::function<double(size_t)>& difficulty,
                                     double fraction) {
  std::vector<std::pair<double, size_t>> keyed;
  for (size_t i : candidates) keyed.push_back({difficulty(i), i});
  std::sort(keyed.begin(), keyed.end());
  const size_t n = std::min(
      keyed.size(),
      std::max<size_t>(1, static_cast<size_t>(std::ceil(fraction * double(keyed.size()) - 1e-9))));
  std::vector<size_t> pool;
  for (size_t k = 0; k < n; ++k) pool.push_back(keyed[k].second);
  std::sort(pool.begin(), pool.end());
  return pool;
}

}  // namespace higgs
