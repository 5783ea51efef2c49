// Writing a generated sample: OUT.wav (16-bit PCM at the tokenizer's rate), the codes next to it
// (OUT.codes.safetensors: "codes" (K, T) and "delayed" (K, N) of the last chunk) and a JSON
// report (OUT.json: text, how decoding stopped, duration, real-time factor, checks).
#pragma once

#include <string>

#include "components/generation/generator.h"
#include "framework/config/config.h"

namespace higgs::generation {

/// Writes the three files and returns the report. `extra` is merged into the report.
Json write_generation(const std::string& wav_path, const std::string& text, const JobResult& r,
                      const Json& extra = Json::object());

/// One line for people: "OUT.wav: 3.2 s, stopped by itself (audio_eos), RTF 0.41".
std::string describe_generation(const std::string& wav_path, const Json& report);

}  // namespace higgs::generation
