#include "components/audio/feature_extractor.h"

#include "framework/registry/registry.h"

namespace higgs {

HIGGS_DECLARE_KIND(FeatureExtractor, 40, "Computes features from audio (e.g. Whisper log-mel).",
                   {"feature_extractor"});

}  // namespace higgs
