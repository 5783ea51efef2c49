// Checks of generated speech that need no extra model (duration against the text length, silence
// ratio, stop rate), and running the recipe's scorers (components/generation/scorer.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "components/generation/scorer.h"
#include "framework/config/config.h"
#include "framework/train/callback.h"

namespace higgs {
class ComponentBuilder;
}

namespace higgs::generation {

/// Expected speech duration of a text: characters (letters and digits, any script) over a speaking
/// rate, 14 characters per second by default (about 150 English words per minute).
double expected_seconds(const std::string& text, double chars_per_second = 14.0);

/// Fraction of 20 ms windows whose RMS is below `threshold_db` dBFS (-40 by default).
double silence_ratio(const std::vector<float>& samples, int sample_rate,
                     double threshold_db = -40.0);

/// A scorer with the recipe path it was built from (framework/train/callback.h).
using higgs::NamedScorer;

/// The recipe's `scorers:` list, built, named by their recipe paths (empty when there is none).
std::vector<NamedScorer> recipe_scorers(ComponentBuilder& components);

/// Runs every scorer on a sample and merges their metrics into one object. A scorer that throws
/// does not stop the others: its message is kept under "errors" ({"scorers[1]": "..."}). A metric
/// name a scorer gives again (or "errors") is dropped and the clash recorded under "errors".
Json run_scorers(const std::vector<NamedScorer>& scorers, const ScoredSample& sample);

/// Mean of every numeric metric over reports' "scores" objects, with the number of samples it is
/// over: {"wer": {"mean": 0.2, "n": 3}, ...}.
Json mean_scores(const std::vector<Json>& reports);

/// The built-in checks of one sample as JSON: duration_s, expected_s, duration_ratio,
/// silence_ratio.
Json basic_checks(const std::string& text, const std::vector<float>& samples, int sample_rate);

}  // namespace higgs::generation
