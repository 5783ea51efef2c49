// Jsonnet recipes evaluated with the imports a recipe may make: files inside the recipe's own
// folder, the --jpath folders, HIGGS_JSONNET_PATH and the shipped recipes (and their lib/). A
// recipe's resolved JSON lands in every run directory and checkpoint, which users share, so an
// `import`/`importstr` of anything else (/etc/shadow, ../../secrets) is a recipe error.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace higgs {

struct JsonnetInputs {
  std::vector<std::pair<std::string, std::string>> ext_str, ext_code, tla_str, tla_code;
  std::vector<std::string> import_dirs;  // searched in order after the importing file's folder
};

/// Evaluates the Jsonnet file `path` to a JSON string; throws RecipeError naming the file with
/// Jsonnet's message, or the import that reaches outside the allowed folders.
std::string evaluate_jsonnet_recipe(const std::string& path, const JsonnetInputs& in);

}  // namespace higgs
