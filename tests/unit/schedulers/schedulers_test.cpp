// torch before doctest, or glog's CHECK silently replaces doctest's.
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include <cmath>

#include "components/schedulers/schedules.h"
#include "framework/run/component_builder.h"
#include "framework/train/scheduler.h"
#include "tests/unit/optim/reference.h"

using namespace higgs;
using higgs::test::optim_reference;

namespace {

// Builds a scheduler through the registry from a recipe node, as the runner does.
std::shared_ptr<Scheduler> build_scheduler(const Json& node) {
  const RegistryEntry* entry = registry("scheduler").find(node.at("type").get<std::string>());
  REQUIRE(entry != nullptr);
  BoundComponent bound = entry->make_bound();
  Diagnostics diags;
  OptionReader reader(node, "scheduler", diags);
  bound.visit(reader);
  reader.finish();
  REQUIRE(diags.empty());
  const NoArgs none;
  return std::static_pointer_cast<Scheduler>(bound.build(&none));
}

}  // namespace

TEST_CASE("schedulers: every step of 100 equals the HF lambdas and torch.optim.lr_scheduler") {
  const Json& ref = optim_reference().at("schedules");
  const std::vector<std::pair<std::string, Json>> cases = {
      {"constant_w10", {{"type", "constant"}, {"warmup_steps", 10}}},
      {"constant_w0", {{"type", "constant"}}},
      {"linear_w10", {{"type", "linear"}, {"warmup_steps", 10}}},
      {"cosine_w10", {{"type", "cosine"}, {"warmup_steps", 10}}},
      {"linear_w10_min0.1", {{"type", "linear"}, {"warmup_steps", 10}, {"min_lr_ratio", 0.1}}},
      {"cosine_w10_min0.1", {{"type", "cosine"}, {"warmup_steps", 10}, {"min_lr_ratio", 0.1}}},
      {"cosine_w10_cycles1", {{"type", "cosine"}, {"warmup_steps", 10}, {"num_cycles", 1.0}}},
      {"cosine_ratio0.033", {{"type", "cosine"}, {"warmup_ratio", 0.033}}},
  };
  for (const auto& [name, node] : cases) {
    CAPTURE(name);
    auto sched = build_scheduler(node);
    const Json& c = ref.at(name);
    REQUIRE(c.at("hf").size() == 100);
    double max_torch_diff = 0;
    for (int64_t s = 0; s < 100; ++s) {
      CAPTURE(s);
      const double v = sched->lr_scale(s, 100);
      // Same formula, same operation order: bit-identical to the Python lambda, and to what
      // LambdaLR hands the optimizer with base lr 1.
      CHECK(v == c.at("hf").at(s).get<double>());
      CHECK(v == c.at("lambda_lr").at(s).get<double>());
      if (!c.at("torch").is_null())
        max_torch_diff = std::max(max_torch_diff, std::abs(v - c.at("torch").at(s).get<double>()));
    }
    CHECK(max_torch_diff <= 1e-9);
  }
}

TEST_CASE("schedulers: shape facts") {
  CosineSchedule::Options co;
  co.warmup.warmup_steps = 10;
  co.min_lr_ratio = 0.1;
  CosineSchedule cos(co);
  CHECK(cos.lr_scale(0, 100) == 0.0);
  CHECK(cos.lr_scale(5, 100) == 0.5);
  CHECK(cos.lr_scale(10, 100) == 1.0);
  CHECK(cos.lr_scale(55, 100) == doctest::Approx(0.55).epsilon(1e-12));  // halfway: (1+0.1)/2
  CHECK(cos.lr_scale(100, 100) == doctest::Approx(0.1).epsilon(1e-12));

  LinearSchedule::Options lo;
  lo.warmup.warmup_ratio = 0.1;  // ceil(0.1 * 50) = 5 steps
  LinearSchedule lin(lo);
  CHECK(lin.lr_scale(4, 50) == 0.8);
  CHECK(lin.lr_scale(5, 50) == 1.0);
  CHECK(lin.lr_scale(50, 50) == 0.0);
  CHECK(lin.lr_scale(60, 50) == 0.0);  // past the end: clamped, never negative

  ConstantSchedule::Options both;
  both.warmup.warmup_steps = 3;
  both.warmup.warmup_ratio = 0.1;
  CHECK_THROWS_WITH_AS(ConstantSchedule{both}, doctest::Contains("not both"),
                       std::invalid_argument);
}
