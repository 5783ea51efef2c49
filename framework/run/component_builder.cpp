#include "framework/run/component_builder.h"

#include <stdexcept>

namespace higgs {

std::vector<std::string> ComponentBuilder::list_paths(const std::string& key) const {
  auto it = plan_.lists.find(key);
  return it == plan_.lists.end() ? std::vector<std::string>{} : it->second;
}

std::optional<DeclaredConfig> ComponentBuilder::declared_config(const std::string& path) const {
  auto node = plan_.components.find(path);
  if (node == plan_.components.end() || !node->second.bound.declared_config) return std::nullopt;
  return node->second.bound.declared_config();
}

std::shared_ptr<void> ComponentBuilder::build_erased(const std::string& path,
                                                     const std::string& kind, const void* args) {
  auto node = plan_.components.find(path);
  if (node == plan_.components.end())
    throw RecipeError(plan_.config.source() + ": this task needs \"" + path +
                      "\" in the recipe (a " + kind + " component)");
  // The args pointer is a kind_args_t<Base> of the kind asked for: only a component of that
  // kind may read it. Checked before the memo, so a second request of the wrong kind is refused
  // like the first.
  if (node->second.entry->kind != kind)
    throw std::logic_error("recipe key " + path + " holds a " + node->second.entry->kind +
                           ", asked for a " + kind);
  auto it = built_.find(path);
  if (it != built_.end()) return it->second;
  auto obj = node->second.bound.build(args);
  built_[path] = obj;
  return obj;
}

}  // namespace higgs
