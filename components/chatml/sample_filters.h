// Filters of a ChatML dataset: samples whose durations, text length or speaking rate are out of
// range (a speaking rate far from the norm is the common sign of a wrong transcript), whose
// reference is the target itself, or whose target clips or is mostly silence. A dropped sample
// is counted by reason; data-check prints the counts.
//
//   train_data: { type: 'zero_shot_voice_cloning', path: 'train.jsonl',
//                 max_target_seconds: 20, min_chars_per_second: 5, max_chars_per_second: 25,
//                 drop_reference_equal_to_target: true }
#pragma once

#include <optional>
#include <string>

#include "framework/config/options.h"

namespace higgs {

/// What is known of one sample without training on it (SampleInfo's fields come from here).
struct SampleFacts {
  int64_t text_tokens = 0;    // as prepare_chatml_sample lays it out
  int64_t audio_frames = 0;   // codes of every clip (from the header: seconds x frame rate)
  double target_seconds = 0;  // the audio of the trained assistant turns
  double reference_seconds = 0;
  int64_t text_chars = 0;  // of the target's transcript (the user turn before the target)
  bool reference_is_target = false;
  // Measured only when a filter needs them (the target's audio is decoded): -1 otherwise.
  double target_clipped_fraction = -1, target_speech_fraction = -1;
  double chars_per_second() const { return target_seconds > 0 ? text_chars / target_seconds : 0; }
};

struct SampleFilters {
  double min_target_seconds = 0, max_target_seconds = 0;  // 0: no bound
  double min_reference_seconds = 0, max_reference_seconds = 0;
  int64_t min_text_chars = 0, max_text_chars = 0;
  double min_chars_per_second = 0, max_chars_per_second = 0;
  bool drop_reference_equal_to_target = false;
  double max_clipped_fraction = 0;  // of the target's samples at full scale; 0: not checked
  double min_speech_fraction = 0;   // of the target that is speech (near-silence); 0: not checked
  static void bind(Binder& b, SampleFilters& f);
  bool any() const;
  /// Whether the target audio must be decoded (clipping, near-silence).
  bool needs_audio() const { return max_clipped_fraction > 0 || min_speech_fraction > 0; }
  /// Why a sample is dropped ("target_seconds > max_target_seconds"), or nullopt to keep it.
  std::optional<std::string> reason_to_drop(const SampleFacts& f) const;
};

}  // namespace higgs
