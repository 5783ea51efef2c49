// What a listener notices first in a generated clip, measured without a model: how much of it is
// speech (a voice-activity measure from frame energy and spectral flatness), how loud it is, how
// much of it clips, and the silence before and after the speech. Users' first complaint after
// fine-tuning is silence or noise where speech should be; these numbers catch it at each
// listen_samples step instead of after training.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs::generation {

struct AudioQuality {
  double duration_s = 0;
  double speech_s = 0, non_speech_s = 0;
  double speech_fraction = 0;  // speech_s / duration_s (0 for an empty clip)
  double rms_dbfs = -120;      // of the whole clip; -120 for digital silence
  double peak_dbfs = -120;
  double clipping_fraction = 0;   // samples at |x| >= 0.999
  double leading_silence_s = 0;   // before the first speech frame (the whole clip if none)
  double trailing_silence_s = 0;  // after the last speech frame
};

/// The frame rule, in 20 ms frames: speech when the frame's RMS is at least `min_speech_dbfs`
/// and at least `above_floor_db` over the clip's noise floor (its 10th-percentile frame), and its
/// spectrum is not flat like noise (spectral flatness at most `max_flatness`; white noise is
/// about 0.56, voiced speech below 0.1).
struct VoiceActivityOptions {
  double min_speech_dbfs = -45;
  double above_floor_db = 12;
  double max_flatness = 0.45;
};

AudioQuality measure_audio_quality(const std::vector<float>& samples, int sample_rate,
                                   const VoiceActivityOptions& options = {});

/// The fields of a report's "quality" object.
Json audio_quality_json(const AudioQuality& q);

/// The problems a listener would hear, as short phrases ("mostly silence or noise (speech 4% of
/// 3.1 s)", "clipping (2.5% of samples)", ...), from a report with "quality", "stop",
/// "audio_written" and "expected_s"; empty when none.
std::vector<std::string> audible_problems(const Json& report);

}  // namespace higgs::generation
