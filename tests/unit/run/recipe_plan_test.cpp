#include <torch/torch.h>

#include <doctest/doctest.h>

#include "framework/registry/registry.h"
#include "framework/run/component_builder.h"
#include "framework/run/task.h"
#include "framework/train/optimizer.h"
#include "framework/train/scheduler.h"

using higgs::Json;

namespace {

// Test doubles, registered only in the test binary (names start with "test_").
struct TestWarmup : higgs::Scheduler {
  struct Options {
    int64_t warmup_steps = 0;
    double floor = 0.0;
  };
  static void bind(higgs::Binder& b, Options& o) {
    b.opt("warmup_steps", o.warmup_steps, "Warmup steps.").min(0);
    b.opt("floor", o.floor, "Lowest scale.");
  }
  explicit TestWarmup(const Options& o) : o_(o) { ++built; }
  double lr_scale(int64_t step, int64_t) const override {
    return step < o_.warmup_steps ? double(step + 1) / o_.warmup_steps : 1.0;
  }
  Options o_;
  static inline int built = 0;
};
HIGGS_REGISTER(higgs::Scheduler, TestWarmup, "test_warmup", "Test double.");

struct TestTask : higgs::Task {
  struct Options {
    std::string note = "n";
  };
  static void bind(higgs::Binder& b, Options& o) { b.opt("note", o.note, "A note."); }
  explicit TestTask(const Options&) {}
  std::vector<std::string> required_keys() const override { return {"scheduler"}; }
  int run(higgs::TaskContext& ctx) override {
    return ctx.components.build<higgs::Scheduler>("scheduler") ? 0 : 1;
  }
};
HIGGS_REGISTER(higgs::Task, TestTask, "test_task", "Test double.");

// An optimizer built from its kind's creator arguments (the parameters it updates), and one
// component that declares a config without being built.
struct TestRecordingOptimizer : higgs::Optimizer {
  struct Options {
    double lr = 0.5;
  };
  static void bind(higgs::Binder& b, Options& o) { b.opt("lr", o.lr, "Learning rate."); }
  TestRecordingOptimizer(const Options& o, const higgs::ParameterList& params) : lr(o.lr) {
    for (const auto& p : params) names.push_back(p.name);
  }
  static std::optional<higgs::DeclaredConfig> declared_config(const Options& o) {
    return higgs::DeclaredConfig{Json{{"lr", o.lr}}, "declared.json"};
  }
  void step(double) override {}
  void zero_grad() override {}
  double base_lr() const override { return lr; }
  higgs::TensorMap state() const override { return {}; }
  void load_state(const higgs::TensorMap&) override {}
  double lr;
  std::vector<std::string> names;
};
HIGGS_REGISTER(higgs::Optimizer, TestRecordingOptimizer, "test_recording", "Test double.");

higgs::RecipePlan plan_of(const Json& j) { return higgs::plan_recipe(higgs::Config(j, "r.json")); }

}  // namespace

TEST_CASE("a recipe plan resolves defaults and marks their provenance") {
  auto plan = plan_of({{"seed", 3},
                       {"scheduler", {{"type", "test_warmup"}, {"warmup_steps", 5}}},
                       {"task", "test_task"}});
  CHECK(plan.settings.seed == 3);
  CHECK(plan.resolved["scheduler"] ==
        Json{{"type", "test_warmup"}, {"warmup_steps", 5}, {"floor", 0.0}});
  CHECK(plan.resolved["task"] == Json{{"type", "test_task"}, {"note", "n"}});
  CHECK(plan.resolved["device"] == "cpu");
  CHECK(plan.config.provenance("scheduler.floor").origin == higgs::Origin::kDefault);
  CHECK(plan.config.provenance("scheduler.warmup_steps").origin == higgs::Origin::kRecipe);
  CHECK(plan.config.provenance("device").origin == higgs::Origin::kDefault);
}

TEST_CASE("components are built lazily, once, by the component builder") {
  auto plan = plan_of(
      {{"scheduler", {{"type", "test_warmup"}, {"warmup_steps", 4}}}, {"task", "test_task"}});
  int before = TestWarmup::built;
  higgs::ComponentBuilder components(plan);
  CHECK(TestWarmup::built == before);
  auto s1 = components.build<higgs::Scheduler>("scheduler");
  auto s2 = components.build<higgs::Scheduler>("scheduler");
  CHECK(s1.get() == s2.get());
  CHECK(TestWarmup::built == before + 1);
  CHECK(s1->lr_scale(1, 10) == doctest::Approx(0.5));
  CHECK(components.build_optional<higgs::Scheduler>("optimizer") == nullptr);
  CHECK_THROWS_WITH_AS(components.build<higgs::Scheduler>("model"),
                       doctest::Contains("needs \"model\""), higgs::RecipeError);
  // A recipe key holding another kind is refused before its creator arguments are read.
  CHECK_THROWS_AS(components.build<higgs::Task>("scheduler"), std::logic_error);
  CHECK_FALSE(components.declared_config("scheduler").has_value());
}

TEST_CASE("a component receives its kind's creator arguments and may declare a config") {
  auto plan = plan_of({{"optimizer", {{"type", "test_recording"}, {"lr", 0.25}}},
                       {"task", "test_task"},
                       {"scheduler", "test_warmup"}});
  higgs::ComponentBuilder components(plan);
  auto declared = components.declared_config("optimizer");
  REQUIRE(declared.has_value());
  CHECK(declared->config == Json{{"lr", 0.25}});
  CHECK(declared->source == "declared.json");
  higgs::ParameterList params{{"a.weight", torch::zeros({2})}, {"b.bias", torch::ones({1})}};
  auto opt = components.build<higgs::Optimizer>("optimizer", params);
  auto* rec = dynamic_cast<TestRecordingOptimizer*>(opt.get());
  REQUIRE(rec != nullptr);
  CHECK(rec->names == std::vector<std::string>{"a.weight", "b.bias"});
  CHECK(rec->lr == 0.25);
}

TEST_CASE("all recipe errors are collected with paths and suggestions") {
  try {
    plan_of({{"sede", 1},
             {"threads", "many"},
             {"scheduler", {{"type", "test_warmpu"}}},
             {"task", {{"type", "test_task"}, {"nte", "x"}}},
             {"callbacks", {{"type", "x"}}},
             {"optimizer", 3}});
    FAIL("no error");
  } catch (const higgs::RecipeError& e) {
    std::vector<std::string> lines;
    for (const auto& d : e.items()) lines.push_back(d.path + ": " + d.message);
    REQUIRE(lines.size() == 6);
    CHECK(lines[0] == "threads: expected an integer, got string \"many\"");
    CHECK(lines[1] == "sede: unknown key \"sede\" (did you mean \"seed\"?)");
    CHECK(lines[2] ==
          "optimizer: expected an object {type: ..., ...} or a optimizer name, got number");
    CHECK(lines[3].rfind(
              "scheduler.type: unknown scheduler \"test_warmpu\" (did you mean \"test_warmup\"?)",
              0) == 0);
    CHECK(lines[4] == "callbacks: expected a list of callback components, got object");
    CHECK(lines[5] == "task.nte: unknown key \"nte\" (did you mean \"note\"?)");
    CHECK(std::string(e.what()).rfind("r.json: 6 errors", 0) == 0);
  }
}

TEST_CASE("duplicate registration is reported naming both origins") {
  size_t before = higgs::registry_errors().size();
  higgs::register_component<higgs::Scheduler, TestWarmup>("test_warmup", "again", "second.cpp");
  REQUIRE(higgs::registry_errors().size() == before + 1);
  CHECK(higgs::registry_errors().back().find("duplicate scheduler \"test_warmup\"") == 0);
  CHECK(higgs::registry_errors().back().find("second.cpp") != std::string::npos);
  CHECK(higgs::registry_errors().back().find("recipe_plan_test.cpp") != std::string::npos);
  higgs::registry_errors().resize(before);
}

// A kind of the test's own, declared at run time as a plugin declares one.
struct TestGadget {
  static constexpr const char* kKind = "test_gadget";
  virtual ~TestGadget() = default;
};
struct PlainGadget : TestGadget {
  struct Options {
    int64_t size = 1;
  };
  static void bind(higgs::Binder& b, Options& o) { b.opt("size", o.size, "Size."); }
  explicit PlainGadget(const Options&) {}
};
struct TestUndeclared {
  static constexpr const char* kKind = "test_undeclared";
  virtual ~TestUndeclared() = default;
};
struct PlainUndeclared : TestUndeclared {
  struct Options {};
  static void bind(higgs::Binder&, Options&) {}
  explicit PlainUndeclared(const Options&) {}
};

TEST_CASE("a declared kind gets its recipe keys and registry, an undeclared one is reported") {
  const size_t before = higgs::registry_errors().size();
  REQUIRE(higgs::declare_kind({"test_gadget", "Gadgets for a test.", 900, {{"gadgets", true}}}));
  CHECK(higgs::kind_description("test_gadget") == "Gadgets for a test.");
  const auto kinds = higgs::component_kinds();
  CHECK(kinds.back() == "test_gadget");  // after every kind of a lower order
  CHECK(kinds.front() == "model");
  higgs::register_component<TestGadget, PlainGadget>("plain", "A gadget.", "gadget.cpp");
  auto plan = plan_of({{"gadgets", Json::array({Json{{"type", "plain"}, {"size", 3}}})},
                       {"task", "test_task"},
                       {"scheduler", "test_warmup"}});
  CHECK(plan.resolved["gadgets"] == Json::array({Json{{"type", "plain"}, {"size", 3}}}));
  higgs::ComponentBuilder components(plan);
  CHECK(components.build_list<TestGadget>("gadgets").size() == 1);

  // Declared twice, or a recipe key another kind has: refused and reported.
  CHECK_FALSE(higgs::declare_kind({"test_gadget", "again", 900, {}}));
  CHECK_FALSE(higgs::declare_kind({"test_other", "x", 901, {{"scheduler"}}}));
  REQUIRE(higgs::registry_errors().size() == before + 2);
  CHECK(higgs::registry_errors()[before] == "kind \"test_gadget\" is declared twice");
  CHECK(higgs::registry_errors()[before + 1].find(
            "recipe key \"scheduler\" is declared by kinds") == 0);

  // A component of a kind nobody declared is reported once, naming it and its file.
  higgs::register_component<TestUndeclared, PlainUndeclared>("lost", "Nowhere.", "lost.cpp");
  REQUIRE(higgs::registry_errors().size() == before + 3);
  CHECK(higgs::registry_errors().back() ==
        "component \"lost\" (lost.cpp) is of kind \"test_undeclared\", which no one declared "
        "(HIGGS_DECLARE_KIND)");
  CHECK(higgs::registry_errors().size() == before + 3);
  higgs::registry_errors().resize(before);
}
