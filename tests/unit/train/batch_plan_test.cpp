// The batch plans of the samplers: token budgets kept and every sample covered, equal disjoint
// shares per rank, mixture weights, the curriculum's pool, label-pure evaluation batches, and
// the same batches again on resume.
#include <torch/torch.h>

#include "framework/train/batch_plan.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include <doctest/doctest.h>

#include "framework/run/component_builder.h"
#include "framework/run/recipe_plan.h"
#include "framework/train/data_loader.h"
#include "framework/train/mixed_dataset.h"
#include "framework/train/sampler.h"
#include "tests/unit/train/trainer_doubles.h"

namespace {

using higgs::BatchPlan;
using higgs::Json;

// Lengths between 25 and 750 (0.5 to 30 s at 25 frames/s, the corpus).
int64_t plan_test_length(size_t i) { return 25 + static_cast<int64_t>((i * 7919) % 726); }

std::vector<size_t> plan_test_flat(const BatchPlan& plan) {
  std::vector<size_t> out;
  for (const auto& b : plan) out.insert(out.end(), b.begin(), b.end());
  return out;
}

int64_t plan_test_padded(const std::vector<size_t>& batch) {
  int64_t longest = 0;
  for (size_t i : batch) longest = std::max(longest, plan_test_length(i));
  return longest * static_cast<int64_t>(batch.size());
}

// A sampler of the recipe's `sampler` key, built as the train task builds it.
struct PlanTestSampler {
  higgs::RecipePlan plan;
  std::shared_ptr<higgs::ComponentBuilder> builder;
  std::shared_ptr<higgs::Sampler> sampler;
  std::shared_ptr<higgs::Dataset> data;
  explicit PlanTestSampler(const Json& recipe)
      : plan(higgs::plan_recipe(higgs::Config(recipe, "plan_test.json"))) {
    builder = std::make_shared<higgs::ComponentBuilder>(plan);
    sampler = builder->build<higgs::Sampler>("sampler");
    if (plan.components.count("train_data")) data = builder->build<higgs::Dataset>("train_data");
  }
};

}  // namespace

TEST_CASE("batch_plan: token-budget batches stay within the budget and cover every sample once") {
  const size_t n = 500;
  auto order = higgs::epoch_permutation(n, 3, 0);
  higgs::TokenBudget budget;
  budget.max_tokens = 3000;
  budget.buckets = 8;
  auto out = higgs::token_budget_batches(order, plan_test_length, budget, 3, 0, true);
  CHECK(out.too_long.empty());
  for (const auto& b : out.batches) {
    REQUIRE(!b.empty());
    CHECK(plan_test_padded(b) <= 3000);
  }
  auto all = plan_test_flat(out.batches);
  CHECK(all.size() == n);
  CHECK(std::set<size_t>(all.begin(), all.end()).size() == n);
  // Deterministic per (seed, epoch), another order in the next epoch.
  auto again = higgs::token_budget_batches(order, plan_test_length, budget, 3, 0, true);
  CHECK(again.batches == out.batches);
  auto next = higgs::token_budget_batches(higgs::epoch_permutation(n, 3, 1), plan_test_length,
                                          budget, 3, 1, true);
  CHECK(next.batches != out.batches);
  // Bucketing keeps padding low: less than 10% of the padded positions here.
  int64_t real = 0, padded = 0;
  for (const auto& b : out.batches) {
    padded += plan_test_padded(b);
    for (size_t i : b) real += plan_test_length(i);
  }
  CHECK(double(padded - real) / double(padded) < 0.10);
}

TEST_CASE("batch_plan: a sample over the budget is left out and reported, max_examples holds") {
  std::vector<size_t> order{0, 1, 2, 3, 4, 5};
  auto len = [](size_t i) { return i == 2 ? int64_t(5000) : int64_t(10); };
  higgs::TokenBudget budget;
  budget.max_tokens = 100;
  budget.max_examples = 2;
  auto out = higgs::token_budget_batches(order, len, budget, 1, 0, false);
  CHECK(out.too_long == std::vector<size_t>{2});
  for (const auto& b : out.batches) CHECK(b.size() <= 2);
  CHECK(plan_test_flat(out.batches).size() == 5);
  // drop_last: the bucket's last batch (one example, room for more) is dropped.
  budget.drop_last = true;
  auto dropped = higgs::token_budget_batches(order, len, budget, 1, 0, false);
  CHECK(plan_test_flat(dropped.batches).size() == 4);
}

TEST_CASE("batch_plan: two ranks get disjoint, equal shares of the global batches") {
  auto out = higgs::token_budget_batches(higgs::epoch_permutation(301, 5, 2), plan_test_length,
                                         {2500, 0, 6, false}, 5, 2, true);
  auto r0 = higgs::shard_batches(out.batches, 0, 2), r1 = higgs::shard_batches(out.batches, 1, 2);
  CHECK(r0.size() == r1.size());
  CHECK(r0.size() == out.batches.size() / 2);
  auto a = plan_test_flat(r0), b = plan_test_flat(r1);
  std::set<size_t> sa(a.begin(), a.end());
  for (size_t i : b) CHECK(sa.count(i) == 0);
  // Fixed-size shards: equal too, and together a prefix of the permutation.
  auto order = higgs::epoch_permutation(11, 1, 0);
  auto f0 = higgs::fixed_size_batches(order, 2, 0, 2, true, false);
  auto f1 = higgs::fixed_size_batches(order, 2, 1, 2, true, false);
  CHECK(plan_test_flat(f0).size() == 5);
  CHECK(plan_test_flat(f1).size() == 5);
  CHECK(f0[0] == std::vector<size_t>{order[0], order[2]});
  CHECK(f1[0] == std::vector<size_t>{order[1], order[3]});
}

TEST_CASE("batch_plan: mixture draws follow the weights within sampling error") {
  // Datasets of 100, 1000 and 50 examples, weights 0.5, 0.3, 0.2, 10,000 draws.
  std::vector<std::pair<size_t, size_t>> ranges{{0, 100}, {100, 1000}, {1100, 50}};
  std::vector<double> w{0.5, 0.3, 0.2};
  auto draws = higgs::mixture_draws(ranges, w, 10000, 11, 0);
  REQUIRE(draws.size() == 10000);
  std::vector<int> count(3, 0);
  for (size_t i : draws) count[i < 100 ? 0 : i < 1100 ? 1 : 2]++;
  for (size_t d = 0; d < 3; ++d) {
    const double p = w[d], sigma = std::sqrt(p * (1 - p) / 10000.0);
    CHECK(std::abs(count[d] / 10000.0 - p) < 4 * sigma);
  }
  // An oversampled dataset goes through whole shuffled passes: the 50 examples of the third
  // each appear 2000 / 50 = 40 times, give or take one pass.
  std::map<size_t, int> third;
  for (size_t i : draws)
    if (i >= 1100) third[i]++;
  CHECK(third.size() == 50);
  for (const auto& [i, c] : third) CHECK(std::abs(c - count[2] / 50) <= 1);
  // Temperature: t = 1 by size, large t nearly uniform.
  auto by_size = higgs::temperature_weights({100, 300}, 1.0);
  CHECK(by_size[0] == doctest::Approx(0.25));
  auto flat = higgs::temperature_weights({100, 300}, 1000.0);
  CHECK(flat[0] == doctest::Approx(0.5).epsilon(0.01));
  CHECK(higgs::mixture_draws(ranges, w, 100, 11, 0) ==
        std::vector<size_t>(draws.begin(), draws.begin() + 100));
}

TEST_CASE("batch_plan: grouped evaluation batches never mix labels and cover each sample once") {
  auto group = [](size_t i) { return i % 3 == 0 ? std::string("a") : std::string("b"); };
  std::vector<size_t> all;
  for (int rank = 0; rank < 2; ++rank) {
    auto plan = higgs::grouped_batches(20, group, 3, rank, 2);
    for (const auto& b : plan) {
      for (size_t i : b) CHECK(group(i) == group(b.front()));
      all.insert(all.end(), b.begin(), b.end());
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<size_t> expect(20);
  for (size_t i = 0; i < 20; ++i) expect[i] = i;
  CHECK(all == expect);
}

TEST_CASE("sampler token_budget: the loader's batches keep the budget and resume at a batch") {
  PlanTestSampler s(Json{{"train_data", {{"type", "test_synthetic"}, {"size", 40}}},
                         {"collator", "test_stack"},
                         {"sampler", {{"type", "token_budget"}, {"max_tokens_per_batch", 120}}}});
  higgs::PlanContext ctx;
  ctx.seed = 9;
  auto col = s.builder->build<higgs::Collator>("collator");
  higgs::LoaderOptions lo;
  lo.num_workers = 2;
  lo.plan = [&](int64_t epoch) {
    auto c = ctx;
    c.epoch = epoch;
    return s.sampler->plan(*s.data, c);
  };
  higgs::DataLoader loader(s.data, col, lo);
  loader.start_epoch(1);
  std::vector<std::vector<int64_t>> seen;
  while (auto b = loader.next()) {
    int64_t longest = 0;
    std::vector<int64_t> ids;
    for (const auto& info : b->infos) {
      ids.push_back(info["index"].get<int64_t>());
      longest = std::max(longest, higgs::test::SyntheticData::length_of(ids.back()));
    }
    CHECK(longest * int64_t(ids.size()) <= 120);
    CHECK(b->indices.size() == ids.size());
    seen.push_back(ids);
  }
  size_t covered = 0;
  for (const auto& b : seen) covered += b.size();
  CHECK(covered == 40);
  // A loader started at batch 3 of epoch 1 (a resumed run) gives the same batches from there.
  higgs::DataLoader resumed(s.data, col, lo);
  resumed.start_epoch(1, 3);
  for (size_t k = 3; k < seen.size(); ++k) {
    auto b = resumed.next();
    REQUIRE(b);
    std::vector<int64_t> ids;
    for (const auto& info : b->infos) ids.push_back(info["index"].get<int64_t>());
    CHECK(ids == seen[k]);
  }
  CHECK(!resumed.next());
}

TEST_CASE("sampler token_budget: a dataset that cannot tell lengths is a clear error") {
  PlanTestSampler s(
      Json{{"train_data", {{"type", "test_synthetic"}, {"size", 4}, {"lengths", false}}},
           {"collator", "test_stack"},
           {"sampler", {{"type", "token_budget"}, {"max_tokens_per_batch", 100}}}});
  CHECK_THROWS_WITH(s.sampler->plan(*s.data, {}),
                    doctest::Contains("needs the length of every example"));
}

TEST_CASE("sampler curriculum: the pool grows as configured and each stage ends on time") {
  PlanTestSampler s(Json{{"train_data", {{"type", "test_synthetic"}, {"size", 30}}},
                         {"collator", "test_stack"},
                         {"sampler",
                          {{"type", "curriculum"},
                           {"key", "length"},
                           {"pool_steps", {0, 5, 9}},
                           {"pool_fractions", {0.34, 0.67, 1.0}}}}});
  higgs::PlanContext ctx;
  ctx.batch_size = 2;
  ctx.grad_accum_steps = 1;
  // Lengths 1 + 37 i mod 50 of the 30 samples, sorted: the easiest 11, 21, 30.
  std::vector<int64_t> lengths;
  for (size_t i = 0; i < 30; ++i) lengths.push_back(higgs::test::SyntheticData::length_of(i));
  std::vector<int64_t> sorted = lengths;
  std::sort(sorted.begin(), sorted.end());
  auto pool_of = [&](const BatchPlan& p) {
    std::set<size_t> s2;
    for (size_t i : plan_test_flat(p)) s2.insert(i);
    return s2;
  };
  ctx.start_step = 0;
  auto first = s.sampler->plan(*s.data, ctx);
  CHECK(first.size() == 5);  // 11 samples make 5 batches of 2, and stage 2 starts at step 5
  for (size_t i : pool_of(first)) CHECK(lengths[i] <= sorted[10]);
  ctx.start_step = 5;
  ctx.epoch = 1;
  auto second = s.sampler->plan(*s.data, ctx);
  CHECK(second.size() == 4);  // cut at step 9 where the whole set begins
  for (size_t i : pool_of(second)) CHECK(lengths[i] <= sorted[20]);
  ctx.start_step = 9;
  ctx.epoch = 2;
  auto third = s.sampler->plan(*s.data, ctx);
  CHECK(pool_of(third).size() == 30);
  CHECK(third.size() == 15);
  CHECK(s.sampler->depends_on_step());
}

TEST_CASE("sampler options are checked with the recipe before anything is built") {
  auto errors = [](const Json& sampler) {
    try {
      higgs::plan_recipe(
          higgs::Config(Json{{"train_data", {{"type", "test_synthetic"}}}, {"sampler", sampler}},
                        "plan_test.json"));
    } catch (const higgs::RecipeError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(errors({{"type", "token_budget"}}).find("max_tokens_per_batch") != std::string::npos);
  CHECK(errors({{"type", "random"}, {"mix_weights", {1, 2}}}).find("need datasets in train_mix") !=
        std::string::npos);
  auto bad =
      errors({{"type", "curriculum"}, {"pool_steps", {0, 10}}, {"pool_fractions", {0.5, 0.2}}});
  CHECK(bad.find("must not shrink") != std::string::npos);
  CHECK(errors({{"type", "curriculum"}, {"pool_steps", {3}}, {"pool_fractions", {1.0}}})
            .find("must start at step 0") != std::string::npos);
}

TEST_CASE("mixed datasets: parts, labels and mixing weights in a sampler's epochs") {
  auto recipe =
      Json{{"train_mix",
            {{{"type", "test_synthetic"}, {"size", 30}, {"name", "big"}},
             {{"type", "test_synthetic"}, {"size", 10}, {"name", "small"}}}},
           {"collator", "test_stack"},
           {"sampler", {{"type", "random"}, {"mix_weights", {1.0, 1.0}}, {"epoch_size", 2000}}}};
  auto plan = higgs::plan_recipe(higgs::Config(recipe, "plan_test.json"));
  higgs::ComponentBuilder builder(plan);
  std::vector<higgs::MixedDataset::Member> members;
  for (const auto& path : plan.lists.at("train_mix")) {
    auto ds = builder.build<higgs::Dataset>(path);
    members.push_back({ds->name(), ds});
  }
  higgs::MixedDataset mixed(members);
  CHECK(mixed.size() == 40);
  REQUIRE(mixed.parts().size() == 2);
  CHECK(mixed.parts()[1].begin == 30);
  CHECK(mixed.labels(35) == std::vector<std::string>{"dataset/small"});
  auto sampler = builder.build<higgs::Sampler>("sampler");
  higgs::PlanContext ctx;
  ctx.batch_size = 4;
  auto drawn = plan_test_flat(sampler->plan(mixed, ctx));
  CHECK(drawn.size() == 2000);
  size_t small = 0;
  for (size_t i : drawn) small += i >= 30;
  CHECK(std::abs(double(small) / 2000.0 - 0.5) < 4 * std::sqrt(0.25 / 2000.0));
  // Two members of one name are refused.
  CHECK_THROWS_WITH(higgs::MixedDataset({members[0], members[0]}),
                    doctest::Contains("two mixed datasets are named \"big\""));
}
