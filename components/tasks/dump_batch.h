// `higgs-run dump-batch RECIPE --split train --index N --out FILE.safetensors`: writes one
// collated batch, one tensor per HiggsAudioBatchInput field, for inspection or `model-loss`.
#pragma once

#include <string>

#include "framework/run/recipe_plan.h"

namespace higgs {

/// Collates batch `index` of `split` ("train" or "eval") in dataset order, with the recipe's
/// trainer batch size, and saves it. Returns the exit code.
int dump_batch(const RecipePlan& plan, const std::string& split, int64_t index,
               const std::string& out);

}  // namespace higgs
