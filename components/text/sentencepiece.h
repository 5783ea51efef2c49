// Registered as text_tokenizer `sentencepiece`: a sentencepiece .model (the embedded demo trains
// one with spm_train, the Higgs special tokens as user-defined symbols).
//
//   text_tokenizer: { type: "sentencepiece", path: "demo/tiny_bpe.model" }
#pragma once

#include <string>

#include "components/text/text_tokenizer.h"

namespace higgs {

class Binder;
struct SpmShim;

class SentencePieceTokenizer : public TextTokenizer {
 public:
  struct Options {
    std::string path;  // the .model file
    std::string shim;  // the C shim module; "" = the one this build made
  };
  static void bind(Binder& b, Options& o);
  SentencePieceTokenizer(const Options& o);
  explicit SentencePieceTokenizer(const std::string& model_path, const std::string& shim = "");
  ~SentencePieceTokenizer() override;

  /// sentencepiece's own encoding: user-defined symbols written inline ("<|eot_id|>") come out as
  /// their ids; control symbols (<s>, </s>) do not, they are plain text.
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  std::optional<int64_t> token_to_id(const std::string& token) const override;
  std::string id_to_token(int64_t id) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  /// FNV-1a 64 of the .model bytes, as 16 hex digits.
  std::string identity() const override { return identity_; }

 private:
  const SpmShim* shim_ = nullptr;
  void* handle_ = nullptr;
  std::string path_, identity_;
  int64_t vocab_size_ = 0;
};

/// Where the sentencepiece shim is looked for when Options.shim is empty, in order.
std::vector<std::string> default_spm_shim_paths();

}  // namespace higgs
