#include "components/generation/scorer.h"

#include "framework/registry/registry.h"

namespace higgs {

HIGGS_DECLARE_KIND(generation::GenerationScorer, 130,
                   "Scores generated speech (e.g. WER through an ASR model, speaker similarity).",
                   {"scorers", true});

}  // namespace higgs
