// libFuzzer target for the ChatML reader (components/chatml/chatml*.cpp): parse_chatml_text in JSON
// and JSONL mode, the layout conversion, the text rewriting, and a write/read round trip.
// Built by scripts/fuzz.sh (cmake -DHIGGS_FUZZ=ON, clang); replayed over tests/fuzz/corpus/chatml
// and tests/fuzz/regressions/chatml by the ctest fuzz_replay_chatml in every build.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "components/chatml/chatml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: bit 0 = JSONL mode, bit 1 = try the zero-shot layout conversion.
  const uint8_t mode = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<higgs::ChatMLSample> samples;
  try {
    samples = higgs::parse_chatml_text(text, "fuzz.jsonl", "/data", (mode & 1) != 0);
  } catch (const higgs::ChatMLError&) {
    return 0;  // rejected with a message: the expected outcome for most inputs
  }
  for (auto& s : samples) {
    // What was accepted must write back and read again to the same JSON.
    higgs::Json j = higgs::chatml_to_json(s);
    higgs::ChatMLSample again = higgs::parse_chatml_sample(j, "roundtrip", "/data");
    if (higgs::chatml_to_json(again) != j) std::abort();
    if (mode & 2) {
      try {
        (void)higgs::to_zero_shot_layout(s);
      } catch (const higgs::ChatMLError&) {
      }
    }
    higgs::rewrite_sound_events(s);
    for (const auto& m : s.messages)
      for (const auto& c : m.content)
        if (c.is_text()) (void)higgs::normalize_transcript(c.text);
  }
  return 0;
}
