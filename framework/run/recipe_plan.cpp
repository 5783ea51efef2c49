#include "framework/run/recipe_plan.h"

#include <set>

namespace higgs {

void RecipeSettings::bind(Binder& b, RecipeSettings& s) {
  b.opt("seed", s.seed, "Seed for weights initialisation, shuffling and dropout.");
  b.opt("output_dir", s.output_dir, "Run directory (checkpoints, logs, metrics).");
  b.choice("device", s.device, {"cpu", "cuda", "auto"},
           "Where to run: cpu, cuda, or auto (cuda when the build and machine have it).");
  // The maximum: more threads than any machine's cores only oversubscribe (10000 started 1,100
  // threads and stalled).
  b.opt("threads", s.threads, "CPU threads for LibTorch; 0 uses every core.").min(0).max(1024);
  b.opt("description", s.description, "Free text saying what this recipe is for.");
}

std::vector<RecipeKey> recipe_keys() {
  std::vector<RecipeKey> out;
  for (const auto& d : declared_kinds())
    for (const auto& k : d.recipe_keys) out.push_back({k.key, d.kind, k.is_list, k.default_type});
  return out;
}

namespace {

// Reads one component node ({type: NAME, ...} or the shorthand "NAME") into the plan.
void plan_component(const Json& node, const std::string& path, const std::string& kind,
                    const std::string& default_type, RecipePlan& plan, Diagnostics& diags) {
  const KindRegistry& reg = registry(kind);
  std::string type;
  if (node.is_string()) {
    type = node.get<std::string>();
  } else if (node.is_object()) {
    if (!node.contains("type") && !default_type.empty()) {
      type = default_type;
    } else if (!node.contains("type")) {
      std::string names;
      for (const auto& n : reg.names()) names += (names.empty() ? "" : ", ") + n;
      diags.error(join_path(path, "type"),
                  "missing \"type\"; registered " + kind + " types: " + names);
      return;
    } else if (!node["type"].is_string()) {
      diags.error(join_path(path, "type"), "expected a string naming a " + kind);
      return;
    } else {
      type = node["type"].get<std::string>();
    }
  } else {
    diags.error(path, "expected an object {type: ..., ...} or a " + kind + " name, got " +
                          std::string(node.type_name()));
    return;
  }
  const RegistryEntry* entry = reg.find(type);
  if (!entry) {
    std::string names;
    for (const auto& n : reg.names()) names += (names.empty() ? "" : ", ") + n;
    diags.error(join_path(path, "type"), "unknown " + kind + " \"" + type + "\"" +
                                             suggestion_suffix(type, reg.names()) +
                                             "; registered: " + (names.empty() ? "none" : names));
    return;
  }
  ComponentNode cn;
  cn.path = path;
  cn.entry = entry;
  cn.bound = entry->make_bound();
  static const Json kEmpty = Json::object();
  OptionReader reader(node.is_object() ? node : kEmpty, path, diags);
  cn.bound.visit(reader);
  reader.finish();
  OptionWriter writer;
  cn.bound.visit(writer);
  writer.finish();
  cn.resolved = Json::object();
  cn.resolved["type"] = type;
  if (!default_type.empty() && type == default_type)
    plan.at_default.insert(join_path(path, "type"));
  if (node.is_object() && !node.contains("type"))
    plan.config.mark(join_path(path, "type"), {Origin::kDefault, entry->name});
  OptionWriter defaults;  // the options of a component built from nothing
  BoundComponent fresh = entry->make_bound();
  fresh.visit(defaults);
  defaults.finish();
  for (auto it = writer.out.begin(); it != writer.out.end(); ++it) {
    cn.resolved[it.key()] = it.value();
    if (!node.is_object() || !node.contains(it.key()))
      plan.config.mark(join_path(path, it.key()), {Origin::kDefault, entry->name});
    if (defaults.out.contains(it.key()) && defaults.out[it.key()] == it.value())
      plan.at_default.insert(join_path(path, it.key()));
  }
  plan.components[path] = std::move(cn);
}

}  // namespace

RecipePlan plan_recipe(Config config) {
  RecipePlan plan;
  plan.config = std::move(config);
  const Json& root = plan.config.root();
  Diagnostics diags;

  std::set<std::string> component_keys;
  for (const auto& k : recipe_keys()) component_keys.insert(k.key);

  // Settings: strict, with component keys set aside (and offered as did-you-mean candidates).
  OptionReader settings_reader(root, "", diags, component_keys);
  RecipeSettings::bind(settings_reader, plan.settings);
  settings_reader.finish();
  OptionWriter settings_writer;
  RecipeSettings::bind(settings_writer, plan.settings);
  settings_writer.finish();
  plan.resolved = settings_writer.out;
  OptionWriter settings_defaults;
  RecipeSettings default_settings;
  RecipeSettings::bind(settings_defaults, default_settings);
  settings_defaults.finish();
  for (auto it = settings_writer.out.begin(); it != settings_writer.out.end(); ++it) {
    if (!root.contains(it.key())) plan.config.mark(it.key(), {Origin::kDefault, "recipe"});
    if (settings_defaults.out.contains(it.key()) && settings_defaults.out[it.key()] == it.value())
      plan.at_default.insert(it.key());
  }

  for (const auto& rk : recipe_keys()) {
    if (!root.contains(rk.key) || root[rk.key].is_null()) {
      if (!rk.default_type.empty()) {
        plan_component(Json(rk.default_type), rk.key, rk.kind, rk.default_type, plan, diags);
        plan.config.mark(rk.key, {Origin::kDefault, "recipe"});
      }
      continue;
    }
    const Json& node = root[rk.key];
    if (rk.is_list) {
      if (!node.is_array()) {
        diags.error(rk.key, "expected a list of " + rk.kind + " components, got " +
                                std::string(node.type_name()));
        continue;
      }
      auto& paths = plan.lists[rk.key];
      for (size_t i = 0; i < node.size(); ++i) {
        std::string path = index_path(rk.key, i);
        plan_component(node[i], path, rk.kind, "", plan, diags);
        paths.push_back(path);
      }
    } else {
      plan_component(node, rk.key, rk.kind, rk.default_type, plan, diags);
    }
  }
  // The resolved recipe (components that could be read), then checks across components (e.g. a
  // callback that needs eval_data) that may read it, reported with every other error.
  for (const auto& rk : recipe_keys()) {
    if (rk.is_list) {
      Json arr = Json::array();
      for (const auto& p : plan.lists[rk.key]) {
        auto it = plan.components.find(p);
        if (it != plan.components.end()) arr.push_back(it->second.resolved);
      }
      if (root.contains(rk.key)) plan.resolved[rk.key] = arr;
    } else if (plan.components.count(rk.key)) {
      plan.resolved[rk.key] = plan.components.at(rk.key).resolved;
    }
  }
  for (const auto& [path, cn] : plan.components)
    if (cn.bound.check) cn.bound.check(plan, path, diags);
  diags.throw_if_any(plan.config.source());
  return plan;
}

}  // namespace higgs
