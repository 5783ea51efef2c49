// Kind `text_tokenizer`: text to token ids and back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace higgs {

class TextTokenizer {
 public:
  static constexpr const char* kKind = "text_tokenizer";
  virtual ~TextTokenizer() = default;
  /// Encodes text without adding BOS/EOS (add_special_tokens=False). Special tokens written
  /// inline ("<|eot_id|>") are split out and map to their ids.
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  /// Id of a token (special or regular), if the vocabulary has it.
  virtual std::optional<int64_t> token_to_id(const std::string& token) const = 0;
  /// The token string of an id (byte-level pieces as stored in the vocabulary).
  virtual std::string id_to_token(int64_t id) const = 0;
  virtual int64_t vocab_size() const = 0;
  /// A stable identity (e.g. hash of the tokenizer file), recorded in caches and run metadata.
  virtual std::string identity() const = 0;
};

}  // namespace higgs
