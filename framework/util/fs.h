// File helpers that never leave a half-written file behind.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace higgs {

/// Streams a file into place atomically: `write` receives a sink that appends bytes to a
/// temporary file beside `path` (unique per process and call), which is fsynced and renamed.
/// Throws std::runtime_error naming the path on failure (e.g. disk full); nothing is left behind.
void write_file_atomic_stream(
    const std::string& path,
    const std::function<void(const std::function<void(const void*, size_t)>&)>& write);

/// While one is alive on a thread, write_file_atomic_stream on that thread records the size and
/// XXH64 of each file it puts in place (hashed as the bytes go out), so a manifest of a directory
/// just written needs no second read of its files (a full fine-tune's checkpoint is gigabytes).
class WrittenFileDigests {
 public:
  struct Digest {
    uint64_t bytes = 0;
    std::string xxh64;
  };
  WrittenFileDigests();
  ~WrittenFileDigests();
  WrittenFileDigests(const WrittenFileDigests&) = delete;
  WrittenFileDigests& operator=(const WrittenFileDigests&) = delete;
  /// Keyed by the path as passed to write_file_atomic_stream, lexically normalised.
  const std::map<std::string, Digest>& files() const { return files_; }
  /// The recorder alive on this thread, or nullptr.
  static WrittenFileDigests* current();
  void record(const std::string& path, Digest digest);

 private:
  std::map<std::string, Digest> files_;
  WrittenFileDigests* previous_;
};

/// Writes `content` to `path` through a temporary file in the same directory, fsyncs it and
/// renames it into place. Throws std::runtime_error naming the path on failure (e.g. disk full).
void write_file_atomic(const std::string& path, const std::string& content);

/// fsyncs a file or directory (so a rename inside it is durable).
void fsync_path(const std::string& path);

/// Reads a whole file; throws naming the path when it cannot.
std::string read_file(const std::string& path);

/// 64-bit FNV-1a of bytes, as 16 hex digits (stable identities for caches and runs).
std::string fnv1a_hex(const std::string& bytes);

}  // namespace higgs
