// XXH64 (seed 0), as specified in xxHash's doc/xxhash_spec.md; written here to avoid one more
// dependency. Keys the audio-code cache and verifies checkpoint files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace higgs {

/// Streaming XXH64 with seed 0.
class Xxh64 {
 public:
  void update(const void* data, size_t n);
  uint64_t digest() const;
  /// The digest as 16 lowercase hex digits.
  std::string hex() const;

 private:
  void stripe(const uint8_t* p);
  uint64_t v_[4] = {0x9E3779B185EBCA87ULL + 0xC2B2AE3D27D4EB4FULL, 0xC2B2AE3D27D4EB4FULL, 0,
                    0 - 0x9E3779B185EBCA87ULL};
  uint8_t buf_[32] = {};
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

/// XXH64 of a byte range as 16 lowercase hex digits.
std::string xxh64_hex(const void* data, size_t size);
/// XXH64 of a file's bytes (read in 4 MiB blocks); throws std::runtime_error naming the file.
std::string xxh64_file(const std::string& path);

}  // namespace higgs
