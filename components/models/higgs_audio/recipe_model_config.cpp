#include "components/models/higgs_audio/recipe_model_config.h"

#include <filesystem>

#include "framework/config/json_file.h"
#include "framework/run/build_context.h"

namespace higgs {

std::optional<Json> recipe_model_config(BuildContext& ctx) {
  if (auto j = ctx.find<Json>("model_config")) return *j;
  auto model = ctx.plan().components.find("model");
  if (model == ctx.plan().components.end() || !model->second.resolved.contains("path") ||
      !model->second.resolved["path"].is_string())
    return std::nullopt;
  const std::string path = model->second.resolved["path"].get<std::string>() + "/config.json";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return read_json_file(path, "restore the model's config.json");
}

int64_t max_position_embeddings(const Json& model_config) {
  if (!model_config.is_object() || !model_config.contains("text_config")) return 0;
  const Json& t = model_config["text_config"];
  if (!t.is_object() || !t.contains("max_position_embeddings") ||
      !t["max_position_embeddings"].is_number_integer())
    return 0;
  return t["max_position_embeddings"].get<int64_t>();
}

}  // namespace higgs
