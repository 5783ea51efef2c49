// What a component may ask for while it is built: recipe-level settings, other components of
// the recipe (built on first use), and runtime objects put there by the runner or the trainer.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <vector>

#include "framework/registry/registry.h"

namespace higgs {

/// Top-level recipe settings that are not components.
struct RecipeSettings {
  int64_t seed = 0;
  std::string output_dir;
  std::string device = "cpu";
  int64_t threads = 0;  // 0 = all cores
  std::string description;
  static void bind(Binder& b, RecipeSettings& s);
};

/// How a recipe key maps onto component kinds.
struct RecipeKey {
  std::string key, kind;
  bool is_list = false;
  std::string default_type;  // used when the key is absent (only "task")
};
const std::vector<RecipeKey>& recipe_keys();

/// One component of a recipe whose options have been read and checked.
struct ComponentNode {
  std::string path;  // "optimizer", "callbacks[1]"
  const RegistryEntry* entry = nullptr;
  Json resolved;  // {"type": ..., every option with defaults filled}
  BoundComponent bound;
};

/// A fully validated recipe: nothing heavy has been loaded yet.
struct RecipePlan {
  Config config;
  RecipeSettings settings;
  std::map<std::string, ComponentNode> components;      // by path
  std::map<std::string, std::vector<std::string>> lists;  // "callbacks" -> paths
  Json resolved;                                          // whole recipe, defaults filled
  // Option paths ("trainer.batch_size", "task.type") whose value equals the option's default,
  // whether the recipe gave it or not: what `print-config --minimal` leaves out.
  std::set<std::string> at_default;
};

/// Reads and checks every key of a recipe; throws RecipeError listing all problems.
RecipePlan plan_recipe(Config config);

/// Flags of the command line that reach components.
struct RunFlags {
  std::string resume;  // "", "auto" or a checkpoint path
  bool force = false;
  bool dry_run = false;
  std::string log_level = "info";
  std::vector<std::string> argv;
};

/// Distributed placement of this process (world_size 1 when not launched by torchrun).
struct ProcessPlacement {
  int rank = 0, world_size = 1, local_rank = 0;
  bool is_main() const { return rank == 0; }
};

class BuildContext {
 public:
  BuildContext(const RecipePlan& plan, RunFlags flags);

  const RecipePlan& plan() const { return plan_; }
  const RecipeSettings& settings() const { return plan_.settings; }
  const RunFlags& flags() const { return flags_; }
  ProcessPlacement placement;

  bool has(const std::string& key) const;
  /// Builds (once) and returns the component at a recipe key, e.g. get<Model>("model").
  template <class T>
  std::shared_ptr<T> get(const std::string& key) {
    return std::static_pointer_cast<T>(get_erased(key, T::kKind));
  }
  /// Like get(), or nullptr when the recipe does not name it.
  template <class T>
  std::shared_ptr<T> get_optional(const std::string& key) {
    return has(key) ? get<T>(key) : nullptr;
  }
  /// Every component of a list key ("callbacks", "adapters", "freezing"), in recipe order.
  template <class T>
  std::vector<std::shared_ptr<T>> get_list(const std::string& key) {
    std::vector<std::shared_ptr<T>> out;
    auto it = plan_.lists.find(key);
    if (it == plan_.lists.end()) return out;
    for (const auto& path : it->second) out.push_back(get<T>(path));
    return out;
  }

  /// Runtime objects shared between components, by name ("model_config", "trainable_params").
  template <class T>
  void put(const std::string& name, std::shared_ptr<T> obj) {
    objects_[name] = {std::static_pointer_cast<void>(obj), std::type_index(typeid(T))};
  }
  template <class T>
  std::shared_ptr<T> find(const std::string& name) const {
    auto it = objects_.find(name);
    if (it == objects_.end()) return nullptr;
    if (it->second.type != std::type_index(typeid(T)))
      throw std::logic_error("runtime object \"" + name + "\" has another type");
    return std::static_pointer_cast<T>(it->second.ptr);
  }

 private:
  std::shared_ptr<void> get_erased(const std::string& key, const std::string& kind);
  struct Object {
    std::shared_ptr<void> ptr;
    std::type_index type = std::type_index(typeid(void));
  };
  const RecipePlan& plan_;
  RunFlags flags_;
  std::map<std::string, std::shared_ptr<void>> built_;
  std::map<std::string, bool> building_;
  std::map<std::string, Object> objects_;
};

}  // namespace higgs
