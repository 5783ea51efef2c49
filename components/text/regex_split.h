// The `Split` pre-tokenizer of Hugging Face tokenizers (behavior "Isolated"), run with PCRE2.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace higgs {

class RegexSplitter {
 public:
  /// Compiles `pattern` with UTF and Unicode properties (\p{L}, \s, ... as Unicode classes), JIT
  /// when available. `literal` treats the pattern as a plain string. `where` names the source
  /// in errors (file and field).
  RegexSplitter(const std::string& pattern, bool literal, const std::string& where);
  ~RegexSplitter();
  RegexSplitter(const RegexSplitter&) = delete;
  RegexSplitter& operator=(const RegexSplitter&) = delete;

  /// Splits valid UTF-8 `text` into pieces: every match, and every gap between matches, in
  /// order (the "Isolated" behavior). Pieces are byte ranges [first, second) of `text`.
  void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8*
  bool jit_ = false;
  std::string where_;
};

}  // namespace higgs
