// The recipe tree: one JSON object loaded from Jsonnet or YAML, with --set overrides and
// provenance.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/config/diagnostics.h"

namespace higgs {

using Json = nlohmann::ordered_json;

/// Where a recipe value came from.
enum class Origin { kDefault, kRecipe, kOverride };
const char* origin_name(Origin o);

struct Provenance {
  Origin origin = Origin::kRecipe;
  std::string detail;  // recipe file, or the --set assignment
};

/// How to evaluate a recipe file: Jsonnet variables, import paths and overrides.
struct LoadOptions {
  std::vector<std::pair<std::string, std::string>> ext_str, ext_code, tla_str, tla_code;
  std::vector<std::string> jpath;  // extra Jsonnet import directories
  std::vector<std::string> sets;   // "a.b.c=VALUE" overrides, applied in order
};

/// An evaluated recipe with the origin of every value.
class Config {
 public:
  Config() = default;
  Config(Json root, std::string source);

  Json& root() { return root_; }
  const Json& root() const { return root_; }
  const std::string& source() const { return source_; }

  /// Origin of the value at a dotted path ("optimizer.lr", "callbacks[0].every"); values never
  /// marked otherwise came from the recipe.
  Provenance provenance(const std::string& path) const;
  void mark(const std::string& path, Provenance p) { marks_[path] = std::move(p); }
  const std::map<std::string, Provenance>& marks() const { return marks_; }

  /// Applies "a.b.c=VALUE": VALUE is parsed as JSON, else taken as a string. Missing objects on
  /// the way are created; whether the final key is a known option is checked by strict reading.
  void apply_override(const std::string& assignment, Diagnostics& diags);
  /// The overrides applied so far, as {"a.b.c": VALUE}.
  const Json& overrides() const { return overrides_; }

 private:
  Json root_ = Json::object();
  std::string source_;
  std::map<std::string, Provenance> marks_;
  Json overrides_ = Json::object();
};

/// Loads a recipe (.jsonnet/.libsonnet/.json, or .yaml/.yml) and applies the overrides in
/// `opts.sets`. Throws RecipeError with every problem found.
Config load_recipe(const std::string& path, const LoadOptions& opts);

/// Converts YAML text to JSON with YAML 1.2 core-schema scalars (quoted scalars stay strings).
Json yaml_to_json(const std::string& text, const std::string& source);

/// Splits "a.b[2].c" or "a.b.2.c" into {"a","b","2","c"}.
std::vector<std::string> split_path(const std::string& path);

/// Flattens a JSON tree to {"a.b": leaf, "c[0]": leaf}; empty objects/arrays are leaves.
std::vector<std::pair<std::string, Json>> flatten(const Json& tree, const std::string& prefix = "");

/// Default Jsonnet import directories: the shipped recipes/ folder (and recipes/lib), and any
/// directories in HIGGS_JSONNET_PATH (colon separated).
std::vector<std::string> default_import_dirs();

}  // namespace higgs
