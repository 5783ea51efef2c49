// Checks of generated speech that need no extra model (duration against the text length, silence
// ratio, stop rate), and the interface for plug-in scorers (WER through an ASR model, speaker
// similarity through a speaker encoder) that users register from their own code or a plugin.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs::generation {

/// Expected speech duration of a text: characters (letters and digits, any script) over a speaking
/// rate, 14 characters per second by default (about 150 English words per minute).
double expected_seconds(const std::string& text, double chars_per_second = 14.0);

/// Fraction of 20 ms windows whose RMS is below `threshold_db` dBFS (-40 by default).
double silence_ratio(const std::vector<float>& samples, int sample_rate,
                     double threshold_db = -40.0);

/// What a scorer sees of one generated sample.
struct ScoredSample {
  std::string text;       // the target text
  std::string ref_audio;  // reference audio file ("" if none)
  std::string ref_text;
  std::vector<float> samples;  // generated waveform, mono
  int sample_rate = 0;
};

/// A quality scorer, e.g. WER ({"wer": 0.12}) or speaker similarity ({"spk_sim": 0.71}).
class GenerationScorer {
 public:
  virtual ~GenerationScorer() = default;
  /// Metrics of one sample, merged into its .json report.
  virtual Json score(const ScoredSample& sample) = 0;
};

using ScorerFactory = std::function<std::unique_ptr<GenerationScorer>(const Json& options)>;
/// Registers a scorer under `name` (call from a static initialiser of a plugin or a program).
/// Throws on a duplicate name.
void register_scorer(const std::string& name, ScorerFactory factory);
/// Builds a registered scorer; throws listing the registered names for an unknown one.
std::unique_ptr<GenerationScorer> make_scorer(const std::string& name, const Json& options = {});
std::vector<std::string> scorer_names();

/// The built-in checks of one sample as JSON: duration_s, expected_s, duration_ratio,
/// silence_ratio.
Json basic_checks(const std::string& text, const std::vector<float>& samples, int sample_rate);

}  // namespace higgs::generation
