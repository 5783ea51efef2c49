// Inspection commands of higgs-run that need no task: list, describe, schema, print-config, diff.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/run/recipe_plan.h"

namespace CLI {
class App;
}

namespace higgs::cli {

/// The recipe-loading flags of every command that reads a recipe (run, validate, generate,
/// evaluate, ...): --set, --ext-str/--ext-code, --tla-str/--tla-code, -J, --output-dir, --threads,
/// --device.
struct RecipeLoadFlags {
  std::vector<std::string> sets, jpath, ext_str, ext_code, tla_str, tla_code;
  std::string output_dir, device;
  int64_t threads = -1;  // -1: the recipe's
  void add_to(CLI::App* cmd);
  /// The load options they give (--output-dir, --threads and --device as overrides after the
  /// --set ones);
  /// a NAME=VALUE without '=' is a RecipeError naming its flag.
  LoadOptions load_options() const;
};

/// Splits a NAME=VALUE argument of `flag` (--tla-str, --ext-code, ...); throws RecipeError
/// naming the flag when there is no '=' or no name.
std::pair<std::string, std::string> split_kv(const std::string& s, const std::string& flag);

/// Prints the registered components (of `kind` only when not empty) as text, or with `json` as
/// {"kinds": [{kind, description, components: [{name, description, origin}]}]}.
int list_components(const std::string& kind, bool json = false);
/// Prints a component's options as text, or with `json` as {kind, name, description, origin,
/// options: [{key, type, required, default?, choices?, min?, max?, doc}]}.
int describe_component(const std::string& kind_slash_name, bool json = false);
/// Writes schemas into `out_dir` (recipe.schema.json + KIND/NAME.schema.json), or the recipe
/// schema to stdout when `out_dir` is empty.
int write_schemas(const std::string& out_dir);
Json recipe_schema();
int print_config(const RecipePlan& plan, bool minimal);
int diff_plans(const RecipePlan& a, const RecipePlan& b, const std::string& name_a,
               const std::string& name_b);

}  // namespace higgs::cli
