#include "app/cli/commands.h"

#include <filesystem>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "framework/config/diagnostics.h"
#include "framework/util/console.h"
#include "framework/util/exit_codes.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs::cli {

std::pair<std::string, std::string> split_kv(const std::string& s, const std::string& flag) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0)
    throw RecipeError(flag + " " + s + ": expected NAME=VALUE");
  return {s.substr(0, eq), s.substr(eq + 1)};
}

void RecipeLoadFlags::add_to(CLI::App* cmd) {
  cmd->add_option("--set", sets, "Override a recipe key: a.b.c=VALUE (VALUE as JSON, else string)");
  cmd->add_option("--ext-str", ext_str, "Jsonnet external variable NAME=STRING");
  cmd->add_option("--ext-code", ext_code, "Jsonnet external variable NAME=CODE");
  cmd->add_option("--tla-str", tla_str, "Jsonnet top-level argument NAME=STRING");
  cmd->add_option("--tla-code", tla_code, "Jsonnet top-level argument NAME=CODE");
  cmd->add_option("--jpath,-J", jpath, "Extra Jsonnet import directory");
  cmd->add_option("--output-dir", output_dir, "Run directory (overrides output_dir)");
  cmd->add_option("--threads", threads, "CPU threads (default: recipe threads, 0 = all cores)");
  cmd->add_option("--device", device, "Where to run: cpu, cuda or auto (overrides device)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
}

LoadOptions RecipeLoadFlags::load_options() const {
  LoadOptions load;
  load.sets = sets;
  load.jpath = jpath;
  for (const auto& s : ext_str) load.ext_str.push_back(split_kv(s, "--ext-str"));
  for (const auto& s : ext_code) load.ext_code.push_back(split_kv(s, "--ext-code"));
  for (const auto& s : tla_str) load.tla_str.push_back(split_kv(s, "--tla-str"));
  for (const auto& s : tla_code) load.tla_code.push_back(split_kv(s, "--tla-code"));
  if (!output_dir.empty()) load.sets.push_back("output_dir=" + Json(output_dir).dump());
  if (threads >= 0) load.sets.push_back("threads=" + std::to_string(threads));
  if (!device.empty()) load.sets.push_back("device=" + Json(device).dump());
  return load;
}

int list_components(const std::string& kind, bool json) {
  const auto& kinds = component_kinds();
  if (!kind.empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::cerr << error_prefix() << "unknown kind \"" << kind << "\""
              << suggestion_suffix(kind, kinds) << "; kinds: ";
    for (size_t i = 0; i < kinds.size(); ++i) std::cerr << (i ? ", " : "") << kinds[i];
    std::cerr << "\n";
    return kExitUsage;
  }
  Json out = Json::array();
  for (const auto& k : kinds) {
    if (!kind.empty() && k != kind) continue;
    const auto& reg = registry(k);
    if (json) {
      Json components = Json::array();
      for (const auto& [name, e] : reg.entries())
        components.push_back(
            {{"name", name}, {"description", e.description}, {"origin", e.origin}});
      out.push_back(
          {{"kind", k}, {"description", kind_description(k)}, {"components", components}});
      continue;
    }
    std::cout << k << ": " << kind_description(k) << "\n";
    if (reg.entries().empty()) std::cout << "  (none registered)\n";
    for (const auto& [name, e] : reg.entries()) {
      std::cout << "  " << name;
      for (size_t pad = name.size(); pad < 26; ++pad) std::cout << ' ';
      std::cout << e.description << "\n";
    }
  }
  if (json) std::cout << Json{{"kinds", out}}.dump() << "\n";
  return kExitSuccess;
}

int describe_component(const std::string& spec, bool json) {
  auto slash = spec.find('/');
  if (slash == std::string::npos) {
    std::cerr << error_prefix() << "expected KIND/NAME, e.g. optimizer/adamw\n";
    return kExitUsage;
  }
  std::string kind = spec.substr(0, slash), name = spec.substr(slash + 1);
  const auto& kinds = component_kinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::cerr << error_prefix() << "unknown kind \"" << kind << "\""
              << suggestion_suffix(kind, kinds) << "\n";
    return kExitUsage;
  }
  const auto* entry = registry(kind).find(name);
  if (!entry) {
    std::cerr << error_prefix() << "unknown " << kind << " \"" << name << "\""
              << suggestion_suffix(name, registry(kind).names()) << "; see higgs-run list " << kind
              << "\n";
    return kExitUsage;
  }
  auto d = higgs::describe_component(*entry);
  if (json) {
    Json options = Json::array();
    for (size_t i = 0; i < d.fields.size(); ++i) {
      const auto& f = d.fields[i];
      Json o = {{"key", f.key}, {"type", d.types[i]}, {"required", f.required}, {"doc", f.doc}};
      if (!f.required) o["default"] = d.defaults[i];
      if (!f.choices.empty()) o["choices"] = f.choices;
      if (f.min) o["min"] = *f.min;
      if (f.max) o["max"] = *f.max;
      options.push_back(std::move(o));
    }
    std::cout << Json{{"kind", kind},
                      {"name", name},
                      {"description", entry->description},
                      {"origin", entry->origin},
                      {"options", options}}
                     .dump()
              << "\n";
    return kExitSuccess;
  }
  std::cout << kind << "/" << name << ": " << entry->description << "\n";
  std::cout << "defined in " << entry->origin << "\n\n";
  std::cout << "recipe: {type: \"" << name << "\", ...}\n\noptions:\n";
  if (d.fields.empty()) std::cout << "  (none)\n";
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const auto& f = d.fields[i];
    std::cout << "  " << f.key << " (" << d.types[i];
    if (f.required) {
      std::cout << ", required";
    } else {
      std::cout << ", default " << d.defaults[i].dump();
    }
    if (!f.choices.empty()) {
      std::cout << ", one of";
      for (const auto& c : f.choices) std::cout << " " << c;
    }
    if (f.min) std::cout << ", min " << *f.min;
    if (f.max) std::cout << ", max " << *f.max;
    std::cout << ")\n      " << f.doc << "\n";
  }
  return 0;
}

Json recipe_schema() {
  Json schema = Json::object();
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["$id"] = "https://higgs-train.local/schemas/recipe.schema.json";
  schema["title"] = "higgs-train recipe";
  schema["type"] = "object";
  Json props = Json::object();
  Json defs = Json::object();
  RecipeSettings settings;
  OptionDescriber desc;
  RecipeSettings::bind(desc, settings);
  desc.finish();
  for (size_t i = 0; i < desc.fields.size(); ++i)
    props[desc.fields[i].key] = field_schema(desc.fields[i], desc.refs[i]);
  for (const auto& kind : component_kinds()) {
    Json any = Json::array();
    Json names = Json::array();
    for (const auto& [name, entry] : registry(kind).entries()) {
      Json s = component_schema(entry);
      s.erase("$schema");
      defs[kind + "." + name] = s;
      any.push_back({{"$ref", "#/$defs/" + kind + "." + name}});
      names.push_back(name);
    }
    any.push_back(
        {{"type", "string"}, {"enum", names}, {"description", "shorthand for {type: NAME}"}});
    defs[kind] = {{"description", kind_description(kind)}, {"anyOf", any}};
  }
  for (const auto& rk : recipe_keys()) {
    // A key with a default type (trainer, task) may omit "type".
    std::string def = rk.kind + "." + rk.default_type;
    if (!rk.default_type.empty() && defs.contains(def)) {
      Json req = Json::array();
      for (const auto& r : defs[def]["required"])
        if (r != "type") req.push_back(r);
      defs[def]["required"] = req;
    }
    Json ref = {{"$ref", "#/$defs/" + rk.kind}};
    if (rk.is_list) {
      props[rk.key] = {{"type", "array"}, {"items", ref}};
    } else {
      props[rk.key] = ref;
    }
  }
  schema["properties"] = props;
  schema["additionalProperties"] = false;
  schema["$defs"] = defs;
  return schema;
}

int write_schemas(const std::string& out_dir) {
  if (out_dir.empty()) {
    std::cout << recipe_schema().dump(2) << "\n";
    return 0;
  }
  fs::create_directories(out_dir);
  write_file_atomic(out_dir + "/recipe.schema.json", recipe_schema().dump(2) + "\n");
  size_t n = 1;
  for (const auto& kind : component_kinds()) {
    for (const auto& [name, entry] : registry(kind).entries()) {
      fs::create_directories(out_dir + "/" + kind);
      write_file_atomic(out_dir + "/" + kind + "/" + name + ".schema.json",
                        component_schema(entry).dump(2) + "\n");
      ++n;
    }
  }
  std::cout << "wrote " << n << " schemas to " << out_dir << "\n";
  return 0;
}

int print_config(const RecipePlan& plan, bool minimal) {
  if (!minimal) {
    std::cout << plan.resolved.dump(2) << "\n";
    return 0;
  }
  // Only what differs from defaults, each value with where it came from.
  auto at_default = [&](std::string p) {  // the path or an enclosing option has its default value
    while (true) {
      if (plan.at_default.count(p)) return true;
      auto cut = p.find_last_of(".[");
      if (cut == std::string::npos) return false;
      p = p.substr(0, cut);
    }
  };
  for (const auto& [path, value] : flatten(plan.resolved)) {
    Provenance p = plan.config.provenance(path);
    if (p.origin == Origin::kDefault || at_default(path)) continue;
    std::cout << path << ": " << value.dump() << "    # " << origin_name(p.origin);
    if (!p.detail.empty()) std::cout << " (" << p.detail << ")";
    std::cout << "\n";
  }
  return 0;
}

int diff_plans(const RecipePlan& a, const RecipePlan& b, const std::string& name_a,
               const std::string& name_b) {
  std::map<std::string, Json> fa, fb;
  for (auto& [k, v] : flatten(a.resolved)) fa[k] = v;
  for (auto& [k, v] : flatten(b.resolved)) fb[k] = v;
  std::cout << "--- " << name_a << "\n+++ " << name_b << "\n";
  size_t changes = 0;
  for (const auto& [k, v] : fa) {
    auto it = fb.find(k);
    if (it == fb.end()) {
      std::cout << "- " << k << ": " << v.dump() << "\n", ++changes;
    } else if (it->second != v) {
      std::cout << "~ " << k << ": " << v.dump() << " -> " << it->second.dump() << "\n", ++changes;
    }
  }
  for (const auto& [k, v] : fb)
    if (!fa.count(k)) std::cout << "+ " << k << ": " << v.dump() << "\n", ++changes;
  std::cout << changes << (changes == 1 ? " difference" : " differences") << "\n";
  return changes == 0 ? 0 : 1;
}

}  // namespace higgs::cli
