// Byte-level helpers of audio_io.h: base64 decoding of `raw_audio` and the XXH64 content hash
// that keys the audio-code cache.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "components/audio/audio_io.h"

namespace higgs {

namespace {

// XXH64 as specified in xxHash's doc/xxhash_spec.md; written here to avoid one more dependency.
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t read64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86-64, aarch64)
  return v;
}
inline uint32_t read32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t round64(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  return rotl(acc, 31) * kP1;
}
inline uint64_t merge(uint64_t acc, uint64_t v) {
  acc ^= round64(0, v);
  return acc * kP1 + kP4;
}

class Xxh64 {
 public:
  void update(const uint8_t* p, size_t n) {
    total_ += n;
    if (buffered_ + n < 32) {
      std::memcpy(buf_ + buffered_, p, n);
      buffered_ += n;
      return;
    }
    if (buffered_) {
      size_t fill = 32 - buffered_;
      std::memcpy(buf_ + buffered_, p, fill);
      stripe(buf_);
      p += fill;
      n -= fill;
      buffered_ = 0;
    }
    while (n >= 32) {
      stripe(p);
      p += 32;
      n -= 32;
    }
    std::memcpy(buf_, p, n);
    buffered_ = n;
  }

  uint64_t digest() const {
    uint64_t h;
    if (total_ >= 32) {
      h = rotl(v_[0], 1) + rotl(v_[1], 7) + rotl(v_[2], 12) + rotl(v_[3], 18);
      for (uint64_t v : v_) h = merge(h, v);
    } else {
      h = kP5;  // seed 0
    }
    h += total_;
    const uint8_t* p = buf_;
    size_t n = buffered_;
    for (; n >= 8; p += 8, n -= 8) h = rotl(h ^ round64(0, read64(p)), 27) * kP1 + kP4;
    if (n >= 4) {
      h = rotl(h ^ (uint64_t(read32(p)) * kP1), 23) * kP2 + kP3;
      p += 4;
      n -= 4;
    }
    for (; n > 0; ++p, --n) h = rotl(h ^ (uint64_t(*p) * kP5), 11) * kP1;
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
  }

 private:
  void stripe(const uint8_t* p) {
    for (int i = 0; i < 4; ++i) v_[i] = round64(v_[i], read64(p + 8 * i));
  }
  uint64_t v_[4] = {kP1 + kP2, kP2, 0, 0 - kP1};
  uint8_t buf_[32] = {};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

std::string hex16(uint64_t h) {
  char s[17];
  std::snprintf(s, sizeof(s), "%016llx", static_cast<unsigned long long>(h));
  return s;
}

}  // namespace

std::string hash_bytes(const void* data, size_t size) {
  Xxh64 x;
  x.update(static_cast<const uint8_t*>(data), size);
  return hex16(x.digest());
}

std::string hash_file(const std::string& path) {
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
  return hex16(x.digest());
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
