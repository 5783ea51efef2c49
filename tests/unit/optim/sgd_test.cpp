// torch before doctest, or glog's CHECK silently replaces doctest's.
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include "components/optim/sgd.h"

#include "components/schedulers/schedules.h"
#include "tests/unit/optim/reference.h"

using namespace higgs;
using higgs::test::optim_reference;
using higgs::test::reference_params;
using higgs::test::run_reference_steps;
using higgs::test::tensor_from_json;

namespace {

struct SgdCase {
  std::string name;
  Sgd::Options options;
  std::shared_ptr<Scheduler> schedule;
};

// The settings tests/python/optim_reference.py uses for each SGD case.
std::vector<SgdCase> sgd_cases() {
  std::vector<SgdCase> cases;
  {
    Sgd::Options o;
    o.lr = 0.1, o.momentum = 0.9, o.dampening = 0.1, o.weight_decay = 0.01;
    ConstantSchedule::Options s;
    s.warmup.warmup_steps = 2;
    cases.push_back({"sgd_momentum", o, std::make_shared<ConstantSchedule>(s)});
  }
  {
    Sgd::Options o;
    o.lr = 0.05, o.momentum = 0.9, o.nesterov = true, o.weight_decay = 0.01;
    cases.push_back(
        {"sgd_nesterov", o, std::make_shared<LinearSchedule>(LinearSchedule::Options{})});
  }
  {
    Sgd::Options o;
    o.lr = 0.1;
    CosineSchedule::Options s;
    s.warmup.warmup_steps = 2;
    cases.push_back({"sgd_plain", o, std::make_shared<CosineSchedule>(s)});
  }
  return cases;
}

}  // namespace

TEST_CASE("sgd: parameters and momentum equal torch.optim.SGD bit for bit") {
  for (const auto& sc : sgd_cases()) {
    CAPTURE(sc.name);
    const Json& c = optim_reference().at("optimizers").at(sc.name);
    ParameterList params = reference_params(c);
    Sgd opt(sc.options, params);
    auto scale = [&](int64_t k) { return sc.schedule->lr_scale(k, 10); };
    for (int64_t k = 0; k < 10; ++k)
      CHECK(opt.base_lr() * scale(k) == c.at("lrs").at(k).get<double>());
    run_reference_steps(c, params, opt, scale, 0, 10);
    for (const auto& p : params) {
      CAPTURE(p.name);
      CHECK(torch::equal(p.tensor.detach(), tensor_from_json(c.at("final").at(p.name))));
    }
    TensorMap state = opt.state();
    CHECK(state.size() == c.at("state").size());
    for (auto it = c.at("state").begin(); it != c.at("state").end(); ++it) {
      CAPTURE(it.key());
      REQUIRE(state.count(it.key()));
      CHECK(torch::equal(state.at(it.key()), tensor_from_json(it.value())));
    }
  }
}

TEST_CASE("sgd: save state mid-run, load into a fresh optimizer, continue == uninterrupted") {
  for (const auto& sc : sgd_cases()) {
    if (sc.options.momentum == 0) continue;  // no state to carry
    CAPTURE(sc.name);
    const Json& c = optim_reference().at("optimizers").at(sc.name);
    auto scale = [&](int64_t k) { return sc.schedule->lr_scale(k, 10); };
    ParameterList full = reference_params(c);
    Sgd a(sc.options, full);
    run_reference_steps(c, full, a, scale, 0, 10);

    ParameterList first = reference_params(c);
    Sgd b(sc.options, first);
    run_reference_steps(c, first, b, scale, 0, 6);
    TensorMap saved;
    for (const auto& [k, v] : b.state()) saved[k] = v.clone();
    ParameterList resumed;
    for (const auto& p : first)
      resumed.push_back({p.name, p.tensor.detach().clone().requires_grad_(true)});
    Sgd r(sc.options, resumed);
    r.load_state(saved);
    run_reference_steps(c, resumed, r, scale, 6, 10);
    for (size_t i = 0; i < full.size(); ++i) {
      CAPTURE(full[i].name);
      CHECK(torch::equal(full[i].tensor.detach(), resumed[i].tensor.detach()));
    }
  }
}

TEST_CASE("sgd: nesterov without momentum is refused") {
  Sgd::Options o;
  o.nesterov = true;
  ParameterList params = {{"w", torch::ones({2}).requires_grad_(true)}};
  CHECK_THROWS_WITH_AS(Sgd(o, params), doctest::Contains("nesterov needs momentum > 0"),
                       std::invalid_argument);
}
