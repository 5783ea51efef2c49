// Kind `scorer`: plug-in quality metrics of generated speech (WER through an ASR model, speaker
// similarity through a speaker encoder) that users register from their own code or a plugin.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs::generation {

/// What a scorer sees of one generated sample.
struct ScoredSample {
  std::string wav;   // path of the written WAV file
  std::string text;  // the target text (as spoken: normalised when normalize_text is on)
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

}  // namespace higgs::generation
