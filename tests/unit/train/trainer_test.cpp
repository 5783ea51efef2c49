#include <torch/torch.h>

#include <filesystem>

#include <doctest/doctest.h>

#include "framework/run/runner.h"
#include "framework/train/batch_plan.h"
#include "framework/train/checkpointer.h"
#include "framework/train/data_loader.h"
#include "framework/train/default_trainer.h"
#include "framework/train/loss_metrics.h"
#include "framework/util/autocast.h"
#include "tests/support/test_support.h"
#include "tests/unit/train/trainer_doubles.h"

namespace fs = std::filesystem;
using higgs::Json;
using higgs::test::final_weight;
using higgs::test::read_jsonl;
using higgs::test::run_json;

HIGGS_REGISTER(higgs::Model, higgs::test::LinearModel, "test_linear", "Test double.");
HIGGS_REGISTER(higgs::Dataset, higgs::test::SyntheticData, "test_synthetic", "Test double.");
HIGGS_REGISTER(higgs::Collator, higgs::test::StackCollator, "test_stack", "Test double.");
HIGGS_REGISTER(higgs::Optimizer, higgs::test::PlainSgd, "test_sgd", "Test double.");

namespace {

Json base_recipe(const std::string& out) {
  return higgs::test::linear_recipe(out, {{"max_steps", 8},
                                          {"batch_size", 4},
                                          {"log_every", 2},
                                          {"save_every", 4},
                                          {"keep_last", 5},
                                          {"num_workers", 2}});
}

}  // namespace

TEST_CASE("window_loss normalises by the window's target counts") {
  higgs::LossTerm a{"a", "g", torch::tensor(6.0), 3, 1.0};
  higgs::LossTerm b{"b", "g", torch::tensor(4.0), 2, 0.5};
  auto l = higgs::window_loss({a, b}, {{"a", 6}, {"b", 4}});
  CHECK(l.item<double>() == doctest::Approx(6.0 / 6 + 0.5 * 4.0 / 4));
  higgs::LossAccumulator acc;
  a.correct = 2;
  acc.add({a, b});
  acc.add({a, b});
  auto m = acc.metrics("train/");
  CHECK(m["train/loss"].get<double>() == doctest::Approx(2.0 + 0.5 * 2.0));
  CHECK(m["train/g_loss"].get<double>() == doctest::Approx(3.0));
  CHECK(m["train/a_acc"].get<double>() == doctest::Approx(4.0 / 6.0));
}

TEST_CASE("data loader order is deterministic, sharded and resumable") {
  higgs::Config cfg(Json::object(), "x");
  auto plan = higgs::plan_recipe(higgs::Config(
      Json{{"train_data", {{"type", "test_synthetic"}, {"size", 10}}}, {"collator", "test_stack"}},
      "x"));
  higgs::ComponentBuilder builder(plan);
  auto ds = builder.build<higgs::Dataset>("train_data");
  auto col = builder.build<higgs::Collator>("collator");
  higgs::LoaderOptions lo;
  lo.batch_size = 3;
  lo.seed = 5;
  higgs::DataLoader a(ds, col, lo);
  CHECK(a.batches_per_epoch() == 4);
  auto e0 = a.epoch_indices(0), e1 = a.epoch_indices(1);
  CHECK(e0.size() == 10);
  CHECK(e0 != e1);
  CHECK(std::set<size_t>(e0.begin(), e0.end()).size() == 10);
  a.start_epoch(0);
  std::vector<int64_t> seen;
  while (auto b = a.next())
    for (const auto& info : b->infos) seen.push_back(info["index"].get<int64_t>());
  CHECK(seen == std::vector<int64_t>(e0.begin(), e0.end()));
  // Resume at batch 2 gives the same tail.
  higgs::DataLoader c(ds, col, lo);
  c.start_epoch(0, 2);
  auto b2 = c.next();
  REQUIRE(b2);
  CHECK(b2->infos[0]["index"] == seen[6]);
  // Two ranks split the permutation.
  lo.world_size = 2;
  lo.rank = 1;
  higgs::DataLoader r1(ds, col, lo);
  auto mine = r1.epoch_indices(0);
  REQUIRE(mine.size() == 5);
  CHECK(mine[0] == e0[1]);
  CHECK(mine[4] == e0[9]);
}

TEST_CASE("bad samples are skipped and counted, too many fail the run") {
  auto plan = higgs::plan_recipe(higgs::Config(
      Json{
          {"train_data",
           {{"type", "test_synthetic"}, {"size", 10}, {"bad", {1, 2}}, {"max_bad_fraction", 0.25}}},
          {"collator", "test_stack"}},
      "x"));
  higgs::ComponentBuilder builder(plan);
  higgs::LoaderOptions lo;
  lo.batch_size = 4;
  lo.shuffle = false;
  higgs::DataLoader dl(builder.build<higgs::Dataset>("train_data"),
                       builder.build<higgs::Collator>("collator"), lo);
  dl.start_epoch(0);
  auto b = dl.next();
  REQUIRE(b);
  CHECK(b->size() == 2);
  while (dl.next()) {
  }
  CHECK(dl.stats().skipped == 2);
  CHECK(dl.stats().seen == 10);

  auto plan2 = higgs::plan_recipe(higgs::Config(Json{{"train_data",
                                                      {{"type", "test_synthetic"},
                                                       {"size", 10},
                                                       {"bad", {0, 1, 2}},
                                                       {"max_bad_fraction", 0.2}}},
                                                     {"collator", "test_stack"}},
                                                "x"));
  higgs::ComponentBuilder builder2(plan2);
  higgs::DataLoader dl2(builder2.build<higgs::Dataset>("train_data"),
                        builder2.build<higgs::Collator>("collator"), lo);
  dl2.start_epoch(0);
  CHECK_THROWS_WITH(dl2.next(), doctest::Contains("more than max_bad_fraction allows"));
}

TEST_CASE("trainer trains, logs, checkpoints and refuses a non-empty output dir") {
  higgs::test::TempDir dir("trainer-basic");
  std::string out = dir.file("run");
  REQUIRE(run_json(base_recipe(out)) == 0);
  for (const char* f :
       {"recipe.resolved.json", "recipe.overrides.json", "meta.json", "train.log", "metrics.jsonl",
        "checkpoint-4/trainable.pt", "checkpoint-8/trainer_state.json", "final/weight.pt"})
    CHECK_MESSAGE(fs::exists(dir.file("run/") + f), f);
  auto records = read_jsonl(out + "/metrics.jsonl");
  std::vector<double> losses;
  for (const auto& r : records)
    if (r.contains("train/loss")) losses.push_back(r["train/loss"].get<double>());
  REQUIRE(losses.size() == 4);
  // Group losses add up to the total, and the model learns: eval loss ends far below the start.
  CHECK(records[0]["train/first_loss"].get<double>() +
            records[0]["train/second_loss"].get<double>() ==
        doctest::Approx(losses[0]));
  CHECK(records[0]["train/first_loss"] == records[0]["train/out0_loss"]);
  REQUIRE(records.back().contains("eval/loss"));
  CHECK(records.back()["eval/loss"].get<double>() < 0.5 * losses.front());
  CHECK_THROWS_WITH_AS(run_json(base_recipe(out)), doctest::Contains("is not empty"),
                       higgs::RecipeError);
}

TEST_CASE("gradient accumulation equals one larger batch") {
  higgs::test::TempDir dir("trainer-accum");
  Json a = base_recipe(dir.file("a"));
  a["trainer"]["batch_size"] = 8;
  a["trainer"]["max_steps"] = 4;
  a["trainer"]["shuffle"] = false;
  Json b = a;
  b["output_dir"] = dir.file("b");
  b["trainer"]["batch_size"] = 2;
  b["trainer"]["grad_accum_steps"] = 4;
  REQUIRE(run_json(a) == 0);
  REQUIRE(run_json(b) == 0);
  CHECK(torch::allclose(final_weight(dir.file("a")), final_weight(dir.file("b")), 0, 1e-6));
}

TEST_CASE("resume from a checkpoint reproduces an uninterrupted run bit for bit") {
  higgs::test::TempDir dir("trainer-resume");
  Json full = base_recipe(dir.file("full"));
  REQUIRE(run_json(full) == 0);
  Json part = base_recipe(dir.file("part"));
  part["trainer"]["max_steps"] = 4;
  REQUIRE(run_json(part) == 0);
  // Continue the same run directory to step 8.
  part["trainer"]["max_steps"] = 8;
  higgs::RunFlags flags;
  flags.resume = dir.file("part/checkpoint-4");
  fs::remove_all(dir.file("part/checkpoint-8"));
  REQUIRE(run_json(part, flags) == 0);
  CHECK(torch::equal(final_weight(dir.file("full")), final_weight(dir.file("part"))));

  // A changed learning rate is refused and listed.
  part["optimizer"]["lr"] = 0.5;
  try {
    run_json(part, flags);
    FAIL("resumed with a changed recipe");
  } catch (const higgs::RecipeError& e) {
    CHECK(std::string(e.what()).find("optimizer.lr: 0.05 -> 0.5") != std::string::npos);
  }
  part["trainer"]["allow_changed_on_resume"] = {"optimizer.lr"};
  CHECK(run_json(part, flags) == 0);
}

TEST_CASE("bf16 autocast guard: on inside, previous state back after, also on an exception") {
  auto lin = torch::nn::Linear(4, 2);
  auto x = torch::randn({3, 4});
  REQUIRE_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  {
    higgs::Bf16Autocast off(at::kCPU, false);  // disabled: nothing changes
    CHECK_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
    CHECK((lin->forward(x).scalar_type() == at::kFloat));
  }
  {
    higgs::Bf16Autocast on(at::kCPU, true);
    CHECK(at::autocast::is_autocast_enabled(at::kCPU));
    CHECK((lin->forward(x).scalar_type() == at::kBFloat16));
  }
  CHECK_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  CHECK((lin->forward(x).scalar_type() == at::kFloat));
  try {
    higgs::Bf16Autocast on(at::kCPU, true);
    throw std::runtime_error("forward failed");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  // Nested in an enclosing autocast region: the region stays on after the guard ends.
  at::autocast::set_autocast_enabled(at::kCPU, true);
  {
    higgs::Bf16Autocast on(at::kCPU, true);
    CHECK((at::autocast::get_autocast_dtype(at::kCPU) == at::kBFloat16));
  }
  const bool still_on = at::autocast::is_autocast_enabled(at::kCPU);
  at::autocast::set_autocast_enabled(at::kCPU, false);
  CHECK(still_on);
}

TEST_CASE("trainer precision bf16: forward in bf16, fp32 weights, close to the fp32 run") {
  higgs::test::TempDir dir("trainer-bf16");
  Json a = base_recipe(dir.file("fp32"));
  Json b = a;
  b["output_dir"] = dir.file("bf16");
  b["trainer"]["precision"] = "bf16";
  REQUIRE(run_json(a) == 0);
  REQUIRE(run_json(b) == 0);
  CHECK_FALSE(at::autocast::is_autocast_enabled(at::kCPU));
  const at::Tensor wa = final_weight(dir.file("fp32")), wb = final_weight(dir.file("bf16"));
  CHECK((wb.scalar_type() == at::kFloat));
  CHECK_FALSE(torch::equal(wa, wb));          // the bf16 forward changed the numbers...
  CHECK(torch::allclose(wa, wb, 0.0, 5e-2));  // ...by bf16 rounding only
  auto losses = [](const std::string& out) {
    std::vector<double> v;
    for (const auto& r : read_jsonl(out + "/metrics.jsonl"))
      if (r.contains("train/loss")) v.push_back(r["train/loss"].get<double>());
    return v;
  };
  const auto la = losses(dir.file("fp32")), lb = losses(dir.file("bf16"));
  REQUIRE(la.size() == lb.size());
  for (size_t i = 0; i < la.size(); ++i) CHECK(lb[i] == doctest::Approx(la[i]).epsilon(0.05));
}

TEST_CASE("a token-budget run resumed from its checkpoint reproduces the whole run bit for bit") {
  higgs::test::TempDir dir("trainer-budget-resume");
  auto recipe = [&](const std::string& out, int64_t steps) {
    Json r = base_recipe(out);
    r["train_data"]["size"] = 40;
    r["sampler"] = {{"type", "token_budget"}, {"max_tokens_per_batch", 90}, {"buckets", 4}};
    r["trainer"]["max_steps"] = steps;
    r["trainer"]["grad_accum_steps"] = 2;
    return r;
  };
  REQUIRE(run_json(recipe(dir.file("full"), 14)) == 0);
  REQUIRE(run_json(recipe(dir.file("part"), 8)) == 0);
  higgs::RunFlags flags;
  flags.resume = dir.file("part/checkpoint-8");
  fs::remove_all(dir.file("part/checkpoint-12"));
  REQUIRE(run_json(recipe(dir.file("part"), 14), flags) == 0);
  CHECK(torch::equal(final_weight(dir.file("full")), final_weight(dir.file("part"))));
  // The epochs of a token-budget run have as many steps as its batches make: epochs = 1 runs
  // one pass over the plan of epoch 0.
  Json one = recipe(dir.file("epoch"), 0);
  one["trainer"]["epochs"] = 1;
  REQUIRE(run_json(one) == 0);
  const auto batches = higgs::token_budget_batches(higgs::epoch_permutation(40, 7, 0),
                                                   higgs::test::SyntheticData::length_of,
                                                   {90, 0, 4, false}, 7, 0, true)
                           .batches.size();
  const int64_t steps = static_cast<int64_t>(batches + 1) / 2;
  CHECK(steps > 4);
  CHECK(read_jsonl(dir.file("epoch/metrics.jsonl")).back()["step"].get<int64_t>() == steps);
}

TEST_CASE("a curriculum needs max_steps, and evaluation reports each language apart") {
  higgs::test::TempDir dir("trainer-curriculum");
  Json r = base_recipe(dir.file("run"));
  r["sampler"] = {{"type", "curriculum"}, {"pool_steps", {0, 4}}, {"pool_fractions", {0.5, 1.0}}};
  r["trainer"]["max_steps"] = 0;
  r["trainer"]["epochs"] = 2;
  CHECK_THROWS_WITH(run_json(r), doctest::Contains("give the run's length as trainer.max_steps"));
  r["output_dir"] = dir.file("run2");
  r["trainer"]["max_steps"] = 8;
  r["trainer"]["eval_every"] = 4;
  r["eval_data"]["languages"] = {"en", "de"};
  REQUIRE(run_json(r) == 0);
  Json last;
  for (const auto& rec : read_jsonl(dir.file("run2/metrics.jsonl")))
    if (rec.contains("eval/loss")) last = rec;
  REQUIRE(last.contains("eval/language/en/loss"));
  REQUIRE(last.contains("eval/language/de/loss"));
  // The whole is the two halves' mean (equal sample counts; each term's count-weighted mean).
  CHECK(last["eval/language/en/loss"].get<double>() != last["eval/language/de/loss"].get<double>());
  CHECK(std::min(last["eval/language/en/loss"].get<double>(),
                 last["eval/language/de/loss"].get<double>()) <= last["eval/loss"].get<double>());
  CHECK(std::max(last["eval/language/en/loss"].get<double>(),
                 last["eval/language/de/loss"].get<double>()) >= last["eval/loss"].get<double>());
}

TEST_CASE("a weighted mix of two datasets resumes bit for bit and reports each dataset") {
  higgs::test::TempDir dir("trainer-mix-resume");
  auto recipe = [&](const std::string& out, int64_t steps) {
    Json r = base_recipe(out);
    r.erase("train_data");
    r.erase("eval_data");
    r["train_mix"] = {{{"type", "test_synthetic"}, {"size", 24}, {"name", "big"}},
                      {{"type", "test_synthetic"}, {"size", 6}, {"name", "small"}}};
    r["eval_mix"] = r["train_mix"];
    r["sampler"] = {{"type", "random"}, {"mix_weights", {1, 1}}, {"epoch_size", 20}};
    r["trainer"]["max_steps"] = steps;
    r["trainer"]["eval_every"] = 4;
    return r;
  };
  REQUIRE(run_json(recipe(dir.file("full"), 12)) == 0);
  REQUIRE(run_json(recipe(dir.file("part"), 8)) == 0);
  higgs::RunFlags flags;
  flags.resume = dir.file("part/checkpoint-8");
  REQUIRE(run_json(recipe(dir.file("part"), 12), flags) == 0);
  CHECK(torch::equal(final_weight(dir.file("full")), final_weight(dir.file("part"))));
  const Json last = read_jsonl(dir.file("full/metrics.jsonl")).back();
  CHECK(last.contains("eval/dataset/big/loss"));
  CHECK(last.contains("eval/dataset/small/loss"));
  // Both train_data and train_mix: refused before anything is built.
  Json both = recipe(dir.file("both"), 4);
  both["train_data"] = {{"type", "test_synthetic"}};
  CHECK_THROWS_WITH(run_json(both), doctest::Contains("give train_data or train_mix, not both"));
}
