// On-disk cache of audio codes, keyed by the audio's content hash and the audio tokenizer's
// identity, so a second epoch or a second run never re-encodes a clip.
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

namespace higgs {

class CodeCache {
 public:
  /// `dir` holds one subfolder per tokenizer identity; "" disables the cache.
  CodeCache(std::string dir, std::string tokenizer_identity);

  bool enabled() const { return !dir_.empty(); }
  /// The folder of this tokenizer's entries ("" when disabled).
  const std::string& dir() const { return dir_; }
  /// The cached codes of `key` (an audio content hash plus slice), or nullopt. A corrupt or
  /// partial entry is reported once, removed, and treated as absent.
  std::optional<at::Tensor> get(const std::string& key);
  /// Stores codes atomically (a crash never leaves a partial entry under the final name).
  void put(const std::string& key, const at::Tensor& codes, const std::string& source);
  std::string path_of(const std::string& key) const;

  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  std::string dir_;
  std::string tokenizer_identity_;
  std::atomic<int64_t> hits_{0}, misses_{0};
};

/// Cache key of an audio file slice: hash of its bytes, plus offset/duration when sliced.
std::string audio_cache_key(const std::string& content_hash, double offset, double duration);

}  // namespace higgs
