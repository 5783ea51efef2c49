// Byte-level helpers of audio_io.h: base64 decoding of `raw_audio` and the XXH64 content hash
// (framework/util/xxh64) that keys the audio-code cache.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "components/audio/audio_io.h"
#include "framework/util/xxh64.h"

namespace higgs {

std::string hash_bytes(const void* data, size_t size) { return xxh64_hex(data, size); }

std::string hash_file(const std::string& path) {
  check_regular_file(path);  // a FIFO or /dev/zero would block or never end
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f && errno == ENOENT)  // e.g. deleted after the run started: the sample is skipped
    throw AudioError(path, "file not found",
                     "check the path (relative audio paths are resolved against the data file)");
  if (!f)
    throw AudioError(path, std::string("cannot open for hashing: ") + std::strerror(errno),
                     "check the path and permissions");
  std::vector<uint8_t> block(size_t(4) << 20);
  Xxh64 x;
  size_t n;
  while ((n = std::fread(block.data(), 1, block.size(), f.get())) > 0) x.update(block.data(), n);
  if (std::ferror(f.get())) throw AudioError(path, "read error while hashing");
  return x.hex();
}

std::vector<uint8_t> decode_base64(const std::string& text, const std::string& label) {
  size_t begin = 0;
  if (text.compare(0, 5, "data:") == 0) {  // data URI: "data:audio/wav;base64,...."
    auto comma = text.find(',');
    if (comma != std::string::npos) begin = comma + 1;
  }
  std::vector<uint8_t> out;
  out.reserve((text.size() - begin) / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    else if (c == '=')
      break;
    else
      throw AudioError(
          label,
          "invalid base64 character '" + std::string(1, c) + "' at offset " + std::to_string(i),
          "raw_audio must hold the base64 encoding of an audio file");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace higgs
