// Registered as text_tokenizers `llama3_bpe` and `byte_level_bpe`: byte-level BPE read from a
// Hugging Face tokenizer.json (Llama-3, the Higgs Audio v2 text tokenizer; Qwen2/Qwen3 with its
// NFC normalizer, the Higgs Audio v3 text tokenizer) or from Meta's original tiktoken
// tokenizer.model (with Llama-3's regex and special tokens).
//
//   text_tokenizer: { type: "llama3_bpe", path: "/models/higgs-audio-v2-generation-3B-base" }
//   text_tokenizer: { type: "llama3_bpe", path: "/models/Llama-3-8B/original/tokenizer.model" }
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "components/text/text_tokenizer.h"

namespace higgs {

class Binder;
class ByteLevelBpe;
class AddedTokenSplitter;
class RegexSplitter;

class Llama3BpeTokenizer : public TextTokenizer {
 public:
  struct Options {
    std::string path;  // tokenizer.json, tiktoken tokenizer.model, or a directory holding one
  };
  static void bind(Binder& b, Options& o);
  Llama3BpeTokenizer(const Options& o);
  /// Loads `path`: a tokenizer.json, a tiktoken tokenizer.model, or a directory holding one (see
  /// resolve_llama3_tokenizer_file). Throws naming the file and the field (tokenizer.json) or the
  /// line (tokenizer.model) when the file is malformed or uses a feature this reader lacks.
  explicit Llama3BpeTokenizer(const std::string& path);
  ~Llama3BpeTokenizer() override;

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::optional<int64_t> token_to_id(const std::string& token) const override;
  std::string id_to_token(int64_t id) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  /// FNV-1a 64 of the tokenizer file's bytes, as 16 hex digits.
  std::string identity() const override { return identity_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_, identity_;
  std::unique_ptr<ByteLevelBpe> bpe_;
  std::unique_ptr<AddedTokenSplitter> added_;
  std::vector<std::unique_ptr<RegexSplitter>> splitters_;  // applied in order
  std::unordered_map<std::string, int64_t> added_ids_;
  std::unordered_map<int64_t, std::string> added_content_;
  int64_t vocab_size_ = 0;
  bool nfc_ = false;  // the file's normalizer is NFC (Qwen2/Qwen3)
};

/// The tokenizer file of `path`: the file itself, or in a directory the first of tokenizer.json,
/// tokenizer.model, original/tokenizer.model (Meta's layout); throws when there is none.
std::string resolve_llama3_tokenizer_file(const std::string& path);

/// Llama-3's 256 special tokens, in id order from the end of the ranks (128000 for Meta's file),
/// named as in Meta's Llama-3 release: <|begin_of_text|>, <|end_of_text|>,
/// <|reserved_special_token_0..3|>, <|start_header_id|>, <|end_header_id|>,
/// <|reserved_special_token_4|>, <|eot_id|>, <|reserved_special_token_5..250|>.
const std::vector<std::string>& llama3_special_tokens();

}  // namespace higgs
