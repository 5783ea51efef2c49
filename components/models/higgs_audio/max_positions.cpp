#include "components/models/higgs_audio/max_positions.h"

namespace higgs {

int64_t max_position_embeddings(const Json& model_config) {
  if (!model_config.is_object() || !model_config.contains("text_config")) return 0;
  const Json& t = model_config["text_config"];
  if (!t.is_object() || !t.contains("max_position_embeddings") ||
      !t["max_position_embeddings"].is_number_integer())
    return 0;
  return t["max_position_embeddings"].get<int64_t>();
}

}  // namespace higgs
