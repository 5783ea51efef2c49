// The worked example of docs/architecture.md: a freezing policy built from a recipe through the
// registry, as the train task builds it.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "framework/config/diagnostics.h"
#include "framework/run/component_builder.h"
#include "framework/run/recipe_plan.h"
#include "framework/train/freezing.h"
#include "tests/unit/adapters/tiny_higgs_model.h"

using higgs::Json;

namespace freeze_lower_layers_test {

// The names of the model's frozen parameters after the recipe's freezing policy applies.
std::vector<std::string> frozen_after(const Json& freezing) {
  const auto plan =
      higgs::plan_recipe(higgs::Config(Json{{"freezing", Json::array({freezing})}}, "r.json"));
  higgs::ComponentBuilder components(plan);
  higgs::test::TinyHiggsModel model;
  for (const auto& path : components.list_paths("freezing"))
    components.build<higgs::Freezing>(path)->apply(model);
  std::vector<std::string> out;
  for (const auto& p : model.module().named_parameters(true))
    if (!p.value().requires_grad()) out.push_back(p.key());
  return out;
}

TEST_CASE("freeze_lower_layers: the lowest layers frozen whole, the rest and the heads trained") {
  const auto frozen = frozen_after({{"type", "freeze_lower_layers"}, {"count", 1}});
  REQUIRE_FALSE(frozen.empty());
  for (const auto& name : frozen) CHECK(name.rfind("layers.0.", 0) == 0);
  higgs::test::TinyHiggsModel model;
  size_t layer0 = 0;
  for (const auto& p : model.module().named_parameters(true))
    layer0 += p.key().rfind("layers.0.", 0) == 0;
  CHECK(frozen.size() == layer0);  // every parameter of layer 0, nothing else

  const auto with_embeddings =
      frozen_after({{"type", "freeze_lower_layers"}, {"count", 2}, {"freeze_embeddings", true}});
  CHECK(std::count(with_embeddings.begin(), with_embeddings.end(), "embed_tokens.weight") == 1);
  CHECK(frozen_after({{"type", "freeze_lower_layers"}, {"count", 0}}).empty());
}

TEST_CASE("freeze_lower_layers: a count beyond the model, or a missing one, is a clear error") {
  CHECK_THROWS_WITH_AS(frozen_after({{"type", "freeze_lower_layers"}, {"count", 5}}),
                       doctest::Contains("count 5 but the model has 2 decoder layers"),
                       higgs::RecipeError);
  CHECK_THROWS_WITH_AS(frozen_after({{"type", "freeze_lower_layers"}}),
                       doctest::Contains("freezing[0].count"), higgs::RecipeError);
}

}  // namespace freeze_lower_layers_test
