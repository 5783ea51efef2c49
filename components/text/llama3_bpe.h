// Registered as text_tokenizer `llama3_bpe`: byte-level BPE read from a Hugging Face
// tokenizer.json (Llama-3, the Higgs Audio v2 text tokenizer).
//
//   text_tokenizer: { type: "llama3_bpe", path: "/models/higgs-audio-v2-generation-3B-base" }
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "components/text/text_tokenizer.h"

namespace higgs {

class Binder;
class BuildContext;
class ByteLevelBpe;
class AddedTokenSplitter;
class RegexSplitter;

class Llama3BpeTokenizer : public TextTokenizer {
 public:
  struct Options {
    std::string path;  // tokenizer.json, or a directory that holds one
  };
  static void bind(Binder& b, Options& o);
  Llama3BpeTokenizer(const Options& o, BuildContext& ctx);
  /// Loads `path` (a tokenizer.json or a directory holding one); throws naming the file and the
  /// field when the file uses a feature this reader does not implement.
  explicit Llama3BpeTokenizer(const std::string& path);
  ~Llama3BpeTokenizer() override;

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::optional<int64_t> token_to_id(const std::string& token) const override;
  std::string id_to_token(int64_t id) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  /// FNV-1a 64 of the tokenizer.json bytes, as 16 hex digits.
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
};

/// Resolves a tokenizer.json path from a file or a directory; throws when there is none.
std::string resolve_tokenizer_json(const std::string& path);

}  // namespace higgs
