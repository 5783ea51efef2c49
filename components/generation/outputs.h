// Writing a generated sample: OUT.wav (16-bit PCM at the tokenizer's rate), the codes next to it
// (OUT.codes.safetensors: "codes" (K, T) and "delayed" (K, N) of the last chunk) and a JSON
// report (OUT.json: text, how decoding stopped, duration, real-time factor, checks).
#pragma once

#include <string>
#include <vector>

#include "components/generation/checks.h"
#include "components/generation/generator.h"
#include "framework/config/config.h"

namespace higgs::generation {

/// Writes the three files and returns the report (with the references it was cloned from, the
/// "quality" measures of audio_quality.h and the "problems" a listener would hear). The
/// scorers run on the written WAV and their metrics go under "scores". When decoding produced no
/// audio (the text head ended the turn or never opened audio) no WAV or codes file is written,
/// nothing there is overwritten, and the report says so ("audio_written": false).
Json write_generation(const std::string& wav_path, const std::string& text, const JobResult& r,
                      const std::vector<std::string>& ref_audio = {},
                      const std::vector<std::string>& ref_text = {},
                      const std::vector<NamedScorer>& scorers = {});

/// One line for people: "OUT.wav: 3.2 s, stopped by itself (audio_eos), RTF 0.41", or for a
/// sample without audio why there is none.
std::string describe_generation(const std::string& wav_path, const Json& report);

}  // namespace higgs::generation
