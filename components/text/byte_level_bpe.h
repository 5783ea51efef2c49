// Byte-level BPE (GPT-2 / tiktoken style) on raw bytes, with a thread-safe per-word cache.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace higgs {

/// GPT-2's bytes_to_unicode table: every byte maps to one printable code point.
const std::array<uint32_t, 256>& byte_to_unicode();
/// Byte-level string of raw bytes ("Ġhello" for " hello").
std::string bytes_to_byte_level(std::string_view raw);
/// Raw bytes of a byte-level string, or nullopt if a code point is outside the byte map.
std::optional<std::string> byte_level_to_bytes(std::string_view byte_level);

class ByteLevelBpe {
 public:
  struct Params {
    std::vector<std::pair<std::string, int64_t>> vocab;       // byte-level token -> id
    std::vector<std::pair<std::string, std::string>> merges;  // in rank order
    bool ignore_merges = false;  // a word that is itself a token is emitted whole
    std::optional<int64_t> unk_id;
    std::string source;  // file name, for errors
  };
  explicit ByteLevelBpe(const Params& p);

  /// Appends the ids of one pre-token given as raw bytes.
  void encode_word(std::string_view raw, std::vector<int64_t>& out) const;

  std::optional<int64_t> token_to_id(const std::string& byte_level_token) const;
  /// Byte-level token string of an id, or nullptr when the model has no such id.
  const std::string* id_to_token(int64_t id) const;
  /// Raw bytes of an id (what decoding produces), or nullptr when unknown.
  const std::string* id_to_bytes(int64_t id) const;
  int64_t max_id() const { return static_cast<int64_t>(id_token_.size()) - 1; }

 private:
  void merge_word(std::string_view raw, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> token_id_;  // byte-level token -> id
  std::unordered_map<std::string, int32_t> raw_id_;    // raw bytes -> id
  std::vector<std::string> id_token_, id_bytes_;
  std::vector<bool> id_valid_;
  std::array<int32_t, 256> byte_id_;  // -1 when the byte has no token
  // (left id << 32 | right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  bool ignore_merges_ = false;
  int32_t unk_id_ = -1;

  static constexpr size_t kShards = 64;
  static constexpr size_t kShardCapacity = 4096;
  static constexpr size_t kMaxCachedWord = 256;
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<int32_t>> map;
  };
  mutable std::array<Shard, kShards> cache_;
};

}  // namespace higgs
