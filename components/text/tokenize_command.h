// `higgs-run tokenize`: shows how a text tokenizer splits text (the CLI wiring lives in
// framework/cli; this is the body, usable from tests).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "components/text/text_tokenizer.h"

namespace higgs {

struct TokenizeCommandArgs {
  std::string tokenizer;  // tokenizer.json, a directory holding one, or a sentencepiece .model
  std::string text;       // the text to tokenize, or
  std::string file;       // a file: each line is one input
  std::string format = "text";  // "text": ids and pieces; "json": one JSON array of ids per input
};

/// Opens a tokenizer by path: a directory with tokenizer.json or a *.json file -> llama3_bpe; a
/// *.model file (or a directory with tokenizer.model) -> sentencepiece; other files are sniffed
/// (a JSON object -> llama3_bpe, else sentencepiece). Throws with the path on failure.
std::shared_ptr<TextTokenizer> open_text_tokenizer(const std::string& path);

/// Returns the process exit code: 0 done, 1 the tokenizer or input could not be read, 2 usage.
int run_tokenize_command(const TokenizeCommandArgs& args, std::ostream& out, std::ostream& err);
int run_tokenize_command(const TokenizeCommandArgs& args);

}  // namespace higgs
