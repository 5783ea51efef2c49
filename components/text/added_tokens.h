// Splits added tokens (special tokens such as "<|eot_id|>") out of raw text before
// pre-tokenization, the way Hugging Face tokenizers' AddedVocabulary does.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace higgs {

struct AddedToken {
  int64_t id = 0;
  std::string content;
  bool lstrip = false, rstrip = false, special = false;
};

/// A piece of the input: either plain text [begin, end) or an added token.
struct TextSegment {
  size_t begin = 0, end = 0;
  int64_t token_id = -1;  // >= 0: an added token covering [begin, end)
};

class AddedTokenSplitter {
 public:
  explicit AddedTokenSplitter(const std::vector<AddedToken>& tokens);
  /// Special tokens are split first, then non-special ones inside the remaining text; each pass
  /// takes the leftmost-longest match. lstrip/rstrip swallow neighbouring whitespace.
  std::vector<TextSegment> split(std::string_view text) const;
  bool empty() const { return passes_[0].tokens.empty() && passes_[1].tokens.empty(); }

 private:
  struct Pass {
    std::vector<AddedToken> tokens;
    std::array<bool, 256> first_byte{};
    std::unordered_map<uint64_t, int32_t> edges;  // (node << 8 | byte) -> child node
    std::vector<int32_t> terminal;                // node -> token index or -1
  };
  static void build(Pass& pass);
  static void split_pass(const Pass& pass, std::string_view text, size_t begin, size_t end,
                         std::vector<TextSegment>& out);
  std::array<Pass, 2> passes_;  // special, then non-special
};

}  // namespace higgs
