// A recipe read and checked against the registry (every component's options bound, defaults
// filled, cross-component checks run) before anything heavy is built; and the command-line flags
// that reach tasks.
#pragma once

#include <map>
#include <set>
#include <string>
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
/// Every kind's recipe keys (KindDeclaration::recipe_keys), in kind order.
std::vector<RecipeKey> recipe_keys();

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
  std::map<std::string, ComponentNode> components;        // by path
  std::map<std::string, std::vector<std::string>> lists;  // "callbacks" -> paths
  Json resolved;                                          // whole recipe, defaults filled
  // Option paths ("trainer.batch_size", "task.type") whose value equals the option's default,
  // whether the recipe gave it or not: what `print-config --minimal` leaves out.
  std::set<std::string> at_default;
};

/// Reads and checks every key of a recipe; throws RecipeError listing all problems.
RecipePlan plan_recipe(Config config);

/// Flags of the command line that reach the task (TaskContext::flags).
struct RunFlags {
  std::string resume;  // "", "auto" or a checkpoint path
  bool force = false;
  bool dry_run = false;
  std::string log_level = "info";
  std::vector<std::string> argv;
};

}  // namespace higgs
