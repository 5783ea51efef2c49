// The config.json of the model a recipe trains, for the components that must agree with it
// (the collator's token ids, the datasets' length limit).
#pragma once

#include <optional>

#include <cstdint>

#include "framework/config/config.h"

namespace higgs {

class BuildContext;

/// The built model's config (the "model_config" it publishes), else the recipe's
/// model.path/config.json when that file exists (data-check and dump-batch build no model), else
/// nullopt. Throws naming the file when it is not valid JSON.
std::optional<Json> recipe_model_config(BuildContext& ctx);

/// text_config.max_position_embeddings of a model config, or 0 when it has none.
int64_t max_position_embeddings(const Json& model_config);

}  // namespace higgs
