// Checks of generated speech that need no extra model (duration against the text length, silence
// ratio, stop rate), and the interface for plug-in scorers (WER through an ASR model, speaker
// similarity through a speaker encoder) that users register from their own code or a plugin.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/config/config.h"

#include "framework/train/hooks.h"

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

/// What a scorer sees of one generated sample.
struct ScoredSample {
  std::string wav;        // path of the written WAV file
  std::string text;       // the target text (as spoken: normalised when normalize_text is on)
  std::vector<std::string> ref_audio;  // reference audio files (empty if none)
  std::vector<std::string> ref_text;   // their transcripts
  std::vector<float> samples;          // generated waveform, mono
  int sample_rate = 0;
};

/// Component kind "scorer": a quality metric of generated speech, e.g. WER through an ASR model
/// ({"wer": 0.12}) or speaker similarity through a speaker encoder ({"spk_sim": 0.71}). Recipes
/// list them under `scorers:`; the generate task and the listen_samples callback run each one on
/// every sample with audio and put the metrics into its report. Register your own with
/// HIGGS_REGISTER(higgs::generation::GenerationScorer, MyScorer, "my_wer", "...") in-tree or in
/// a plugin; the built-in "command" scorer runs any program (e.g. a Python ASR script).
class GenerationScorer {
 public:
  static constexpr const char* kKind = "scorer";
  virtual ~GenerationScorer() = default;
  /// Metrics of one sample: a JSON object of numbers (or other JSON values), merged into the
  /// "scores" object of its .json report. Throw to report a failure.
  virtual Json score(const ScoredSample& sample) = 0;
};

/// A scorer with the recipe path it was built from (framework/train/hooks.h).
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
