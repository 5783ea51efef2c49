// The position limit of a Higgs model config (config.json), which bounds the samples a dataset
// accepts and the memory estimate of data-check.
#pragma once

#include <cstdint>

#include "framework/config/config.h"

namespace higgs {

/// text_config.max_position_embeddings of a model config, or 0 when it has none.
int64_t max_position_embeddings(const Json& model_config);

}  // namespace higgs
