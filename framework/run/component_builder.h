// Builds the components a recipe names, each once, from its checked options and the creator
// arguments of its kind (`Base::Args`: what the caller hands over, e.g. the optimizer's
// parameters). Tasks compose a run from it; components never see it, so every dependency of a
// component is in its constructor.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/run/recipe_plan.h"

namespace higgs {

class ComponentBuilder {
 public:
  explicit ComponentBuilder(const RecipePlan& plan) : plan_(plan) {}

  const RecipePlan& plan() const { return plan_; }
  /// Whether the recipe names a component at `path` ("model", "callbacks[1]").
  bool has(const std::string& path) const { return plan_.components.count(path) > 0; }

  /// The component at `path`, built on the first call from `args`; later calls return that one.
  /// A path the recipe does not name is a RecipeError saying the task needs it.
  template <class Base>
  std::shared_ptr<Base> build(const std::string& path, const kind_args_t<Base>& args = {}) {
    return std::static_pointer_cast<Base>(build_erased(path, Base::kKind, &args));
  }
  /// Like build(), or nullptr when the recipe does not name it.
  template <class Base>
  std::shared_ptr<Base> build_optional(const std::string& path,
                                       const kind_args_t<Base>& args = {}) {
    return has(path) ? build<Base>(path, args) : nullptr;
  }
  /// Every component of a list key ("callbacks", "adapters", "freezing"), in recipe order.
  template <class Base>
  std::vector<std::shared_ptr<Base>> build_list(const std::string& key,
                                                const kind_args_t<Base>& args = {}) {
    std::vector<std::shared_ptr<Base>> out;
    for (const auto& path : list_paths(key)) out.push_back(build<Base>(path, args));
    return out;
  }
  /// The recipe paths of a list key, in recipe order (empty when the recipe has none).
  std::vector<std::string> list_paths(const std::string& key) const;
  /// What the component at `path` declares about itself without being built (a model's
  /// config.json: BoundComponent::declared_config); nullopt when it declares nothing.
  std::optional<DeclaredConfig> declared_config(const std::string& path) const;

 private:
  std::shared_ptr<void> build_erased(const std::string& path, const std::string& kind,
                                     const void* args);
  const RecipePlan& plan_;
  std::map<std::string, std::shared_ptr<void>> built_;
};

}  // namespace higgs
