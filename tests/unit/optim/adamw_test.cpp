// torch before doctest, or glog's CHECK silently replaces doctest's.
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include "components/optim/adamw.h"

#include "components/schedulers/schedules.h"
#include "framework/run/component_builder.h"
#include "tests/unit/optim/reference.h"

using namespace higgs;
using higgs::test::optim_reference;
using higgs::test::reference_params;
using higgs::test::run_reference_steps;
using higgs::test::tensor_from_json;

namespace {

// The schedules the reference script drives each AdamW case with (LambdaLR of HF lambdas).
std::function<double(int64_t)> reference_schedule(const std::string& name) {
  if (name == "adamw_cosine" || name == "adamw_lora_plus") {
    CosineSchedule::Options o;
    o.warmup.warmup_steps = 3;
    auto s = std::make_shared<CosineSchedule>(o);
    return [s](int64_t k) { return s->lr_scale(k, 10); };
  }
  LinearSchedule::Options o;
  o.warmup.warmup_steps = 2;
  o.min_lr_ratio = 0.1;
  auto s = std::make_shared<LinearSchedule>(o);
  return [s](int64_t k) { return s->lr_scale(k, 10); };
}

AdamW::Options reference_options(const std::string& name) {
  AdamW::Options o;
  if (name == "adamw_cosine") {
    o.lr = 1e-2, o.betas = {0.9, 0.95}, o.eps = 1e-8, o.weight_decay = 0.1;
  } else if (name == "adamw_lora_plus") {
    o.lr = 2e-3, o.weight_decay = 0.05;
    o.lr_multipliers = Json::parse(R"({"*lora_A*": 4.0, "*up_proj*": 0.5})");
  } else {
    o.lr = 3e-3, o.betas = {0.9, 0.999}, o.eps = 1e-6, o.weight_decay = 0.01;
  }
  return o;
}

}  // namespace

TEST_CASE("adamw: parameters and state equal torch.optim.AdamW bit for bit") {
  for (std::string name : {"adamw_cosine", "adamw_linear_min", "adamw_lora_plus"}) {
    CAPTURE(name);
    const Json& c = optim_reference().at("optimizers").at(name);
    ParameterList params = reference_params(c);
    AdamW opt(reference_options(name), params);
    auto scale = reference_schedule(name);

    // The lr of each step is the one LambdaLR gave PyTorch's optimizer.
    for (int64_t k = 0; k < 10; ++k)
      CHECK(opt.base_lr() * scale(k) == c.at("lrs").at(k).get<double>());
    // The groups are the ones the script built by hand.
    std::vector<std::string> labels;
    std::vector<double> multipliers, decays;
    std::vector<std::vector<std::string>> members;
    for (const auto& g : opt.groups()) {
      labels.push_back(g.label);
      multipliers.push_back(g.lr_multiplier);
      decays.push_back(g.weight_decay);
      members.emplace_back();
      for (const auto& p : g.params) members.back().push_back(p.name);
    }
    if (name == "adamw_lora_plus") {
      CHECK(labels == std::vector<std::string>{"no_decay", "decay *lora_A*", "decay *up_proj*",
                                               "no_decay *up_proj*"});
      CHECK(multipliers == std::vector<double>{1.0, 4.0, 0.5, 0.5});
      CHECK(decays == std::vector<double>{0.0, 0.05, 0.05, 0.0});
      CHECK(members[3] == std::vector<std::string>{"layers.0.mlp.up_proj.bias"});
    } else {
      CHECK(labels == std::vector<std::string>{"decay", "no_decay"});
      CHECK(members[0] == c.at("decay").get<std::vector<std::string>>());
      CHECK(decays == std::vector<double>{reference_options(name).weight_decay, 0.0});
    }

    run_reference_steps(c, params, opt, scale, 0, 10);
    for (const auto& p : params) {
      CAPTURE(p.name);
      at::Tensor expected = tensor_from_json(c.at("final").at(p.name));
      CHECK(torch::equal(p.tensor.detach(), expected));
      CHECK((p.tensor.detach() - expected).abs().max().item<double>() == 0.0);
    }
    TensorMap state = opt.state();
    CHECK(state.size() == c.at("state").size());
    for (auto it = c.at("state").begin(); it != c.at("state").end(); ++it) {
      CAPTURE(it.key());
      REQUIRE(state.count(it.key()));
      CHECK(torch::equal(state.at(it.key()).to(torch::kFloat), tensor_from_json(it.value())));
    }
    // The parameter with no gradient at step 4 was stepped 9 times, the others 10.
    CHECK(state.at("layers.0.self_attn.q_proj.lora_A.weight.step").item<int64_t>() == 9);
    CHECK(state.at("norm.weight.step").item<int64_t>() == 10);
  }
}

TEST_CASE("adamw: save state mid-run, load into a fresh optimizer, continue == uninterrupted") {
  const Json& c = optim_reference().at("optimizers").at("adamw_cosine");
  auto scale = reference_schedule("adamw_cosine");
  auto opts = reference_options("adamw_cosine");

  ParameterList full = reference_params(c);
  AdamW a(opts, full);
  run_reference_steps(c, full, a, scale, 0, 10);

  ParameterList first = reference_params(c);
  AdamW b(opts, first);
  run_reference_steps(c, first, b, scale, 0, 5);  // step 4 skipped one parameter
  TensorMap saved;
  for (const auto& [k, v] : b.state()) saved[k] = v.clone();
  ParameterList resumed;
  for (const auto& p : first)
    resumed.push_back({p.name, p.tensor.detach().clone().requires_grad_(true)});

  AdamW r(opts, resumed);
  r.load_state(saved);
  CHECK(r.state().size() == saved.size());
  run_reference_steps(c, resumed, r, scale, 5, 10);
  for (size_t i = 0; i < full.size(); ++i) {
    CAPTURE(full[i].name);
    CHECK(torch::equal(full[i].tensor.detach(), resumed[i].tensor.detach()));
  }
  for (const auto& [k, v] : a.state()) {
    CAPTURE(k);
    CHECK(torch::equal(v, r.state().at(k)));
  }
  // Without loading the state the continuation differs (the test can fail).
  ParameterList cold;
  for (const auto& p : first)
    cold.push_back({p.name, p.tensor.detach().clone().requires_grad_(true)});
  AdamW n(opts, cold);
  run_reference_steps(c, cold, n, scale, 5, 10);
  CHECK_FALSE(torch::equal(full[0].tensor.detach(), cold[0].tensor.detach()));
}

TEST_CASE("adamw: load_state rejects states of other parameters and wrong shapes") {
  ParameterList params = {{"w", torch::ones({2, 2}).requires_grad_(true)}};
  AdamW opt({}, params);
  TensorMap stranger = {{"v.exp_avg", torch::zeros({2, 2})}};
  CHECK_THROWS_WITH_AS(opt.load_state(stranger), doctest::Contains("\"v.exp_avg\""),
                       std::runtime_error);
  TensorMap wrong = {{"w.exp_avg", torch::zeros({3})},
                     {"w.exp_avg_sq", torch::zeros({3})},
                     {"w.step", torch::scalar_tensor(1, torch::kLong)}};
  CHECK_THROWS_WITH_AS(opt.load_state(wrong), doctest::Contains("shape"), std::runtime_error);
  TensorMap partial = {{"w.step", torch::scalar_tensor(1, torch::kLong)}};
  CHECK_THROWS_WITH_AS(opt.load_state(partial), doctest::Contains("lacks \"w.exp_avg\""),
                       std::runtime_error);
}

TEST_CASE("adamw: a bf16 parameter keeps fp32 moments and gets the rounded fp32 update") {
  torch::manual_seed(0);
  at::Tensor w32 = torch::randn({8});
  at::Tensor g32 = torch::randn({8});
  ParameterList bf = {{"w", w32.to(torch::kBFloat16).requires_grad_(true)}};
  ParameterList fp = {{"w", w32.to(torch::kBFloat16).to(torch::kFloat).requires_grad_(true)}};
  AdamW::Options o;
  o.lr = 0.1;
  AdamW a(o, bf), b(o, fp);
  bf[0].tensor.mutable_grad() = g32.to(torch::kBFloat16);
  fp[0].tensor.mutable_grad() = g32.to(torch::kBFloat16).to(torch::kFloat);
  a.step(1.0);
  b.step(1.0);
  CHECK((bf[0].tensor.scalar_type() == torch::kBFloat16 ? true : false));
  CHECK((a.state().at("w.exp_avg").scalar_type() == torch::kFloat ? true : false));
  CHECK(torch::equal(a.state().at("w.exp_avg_sq"), b.state().at("w.exp_avg_sq")));
  CHECK(torch::equal(bf[0].tensor.detach(), fp[0].tensor.detach().to(torch::kBFloat16)));
  CHECK_FALSE(torch::equal(bf[0].tensor.detach(), w32.to(torch::kBFloat16)));
}

TEST_CASE("adamw: zero_grad drops gradients, a parameter without gradient is left alone") {
  ParameterList params = {{"a", torch::ones({3}).requires_grad_(true)},
                          {"b", torch::ones({3}).requires_grad_(true)}};
  AdamW opt({}, params);
  params[0].tensor.mutable_grad() = torch::ones({3});
  opt.step(1.0);
  CHECK(torch::equal(params[1].tensor.detach(), torch::ones({3})));
  CHECK_FALSE(torch::equal(params[0].tensor.detach(), torch::ones({3})));
  CHECK(opt.state().count("b.step") == 0);
  opt.zero_grad();
  CHECK_FALSE(params[0].tensor.grad().defined());
}

TEST_CASE("adamw: built through the registry from recipe options and its creator arguments") {
  const RegistryEntry* entry = registry("optimizer").find("adamw");
  REQUIRE(entry != nullptr);
  BoundComponent bound = entry->make_bound();
  Json node = {{"type", "adamw"}, {"lr", 0.5}, {"no_decay_patterns", {"*special*"}}};
  Diagnostics diags;
  OptionReader reader(node, "optimizer", diags);
  bound.visit(reader);
  reader.finish();
  CHECK(diags.items().empty());

  // Its creator arguments are the parameters it updates (Optimizer::Args); none is an error.
  const ParameterList none;
  CHECK_THROWS_WITH_AS(bound.build(&none),
                       doctest::Contains("optimizer \"adamw\": there are no trainable parameters"),
                       std::runtime_error);
  auto params = std::make_shared<ParameterList>(
      ParameterList{{"layers.0.special.weight", torch::zeros({2}).requires_grad_(true)},
                    {"layers.0.norm.weight", torch::zeros({2}).requires_grad_(true)}});
  auto opt = std::static_pointer_cast<Optimizer>(bound.build(params.get()));
  CHECK(opt->base_lr() == 0.5);
  auto* adamw = dynamic_cast<AdamW*>(opt.get());
  REQUIRE(adamw != nullptr);
  REQUIRE(adamw->groups().size() == 2);
  CHECK(adamw->groups()[0].label == "decay");
  CHECK(adamw->groups()[0].params[0].name == "layers.0.norm.weight");  // patterns replaced
  CHECK(adamw->groups()[1].params[0].name == "layers.0.special.weight");

  AdamW::Options bad_multipliers;
  bad_multipliers.lr_multipliers = Json::parse(R"({"*lora_B*": "fast"})");
  CHECK_THROWS_WITH_AS(AdamW(bad_multipliers, *params),
                       doctest::Contains("lr_multipliers[\"*lora_B*\"] must be a number"),
                       std::invalid_argument);

  Json typo = {{"type", "adamw"}, {"weight_decy", 0.1}};
  Diagnostics bad;
  OptionReader typo_reader(typo, "optimizer", bad);
  entry->make_bound().visit(typo_reader);
  typo_reader.finish();
  REQUIRE(bad.items().size() == 1);
  CHECK(bad.items()[0].path == "optimizer.weight_decy");
  CHECK(bad.items()[0].message.find("weight_decay") != std::string::npos);
}
