// libFuzzer target for the audio reader (components/audio/audio_io.cpp, audio_bytes.cpp): encoded
// bytes through load_audio_from_memory (libsndfile virtual IO, slicing, channel averaging,
// resampling) with options taken from the input, and the base64 decoder of `raw_audio`.
// Input: 1 byte flags, 2 bytes offset (centiseconds), 2 bytes duration (centiseconds), then the
// file bytes. Flags: bits 0-1 pick the target rate, bit 2 a max_seconds limit, bit 3 means the
// rest is base64 text, bit 4 a huge offset (overflow check).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "components/audio/audio_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  const uint8_t flags = data[0];
  static const int kRates[] = {0, 16000, 24000, 44100};
  higgs::LoadAudioOptions o;
  o.target_sample_rate = kRates[flags & 3];
  o.offset_seconds = (data[1] | (data[2] << 8)) / 100.0;
  if (flags & 16) o.offset_seconds = 1e300;
  o.duration_seconds = (data[3] | (data[4] << 8)) / 100.0;
  if (flags & 4) o.max_seconds = 2.0;
  std::vector<uint8_t> bytes(data + 5, data + size);
  try {
    if (flags & 8)
      bytes = higgs::decode_base64(std::string(bytes.begin(), bytes.end()), "fuzz base64");
    auto buf = higgs::load_audio_from_memory(bytes, o, "fuzz");
    if (buf.samples.empty() || buf.sample_rate <= 0) std::abort();  // promised non-empty
    if (o.target_sample_rate > 0 && buf.sample_rate != o.target_sample_rate) std::abort();
    (void)higgs::hash_bytes(buf.samples.data(), buf.samples.size() * sizeof(float));
  } catch (const higgs::AudioError&) {
    // rejected with a message naming the source: expected for most inputs
  }
  return 0;
}
