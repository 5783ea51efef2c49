// `higgs-run tokenize`: shows how a text tokenizer splits text (the CLI wiring lives in
// app/cli; this is the body, usable from tests).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "components/text/text_tokenizer.h"
#include "framework/config/config.h"

namespace higgs {

struct TokenizeCommandArgs {
  std::string tokenizer;  // tokenizer.json, a directory holding one, a sentencepiece .model, or a
                          // recipe whose text_tokenizer is used
  LoadOptions load;       // recipe flags (--set, --tla-str, ...) when `tokenizer` is a recipe
  std::string text;       // the text to tokenize, or
  std::string file;       // a file: each line is one input
  std::string format = "text";  // "text": ids and pieces; "json": one JSON array of ids per input
};

/// Opens a tokenizer by path: a directory with tokenizer.json or a *.json file -> llama3_bpe; a
/// *.model file (or a directory with tokenizer.model) -> sentencepiece; other files are sniffed
/// (a JSON object -> llama3_bpe, else sentencepiece). Throws with the path on failure.
std::shared_ptr<TextTokenizer> open_text_tokenizer(const std::string& path);

/// Whether `path` names a recipe rather than a tokenizer file: .jsonnet/.libsonnet/.yaml/.yml, or
/// a .json file holding an object with a top-level "text_tokenizer" key.
bool is_recipe_path(const std::string& path);

/// Builds a recipe's text_tokenizer through the runner (the task's keys are not checked). Throws
/// with the recipe path when it has no text_tokenizer or cannot be read.
std::shared_ptr<TextTokenizer> open_recipe_text_tokenizer(const std::string& recipe,
                                                          const LoadOptions& load = {});

/// Returns the process exit code: 0 done, 1 the tokenizer or input could not be read, 2 usage.
int run_tokenize_command(const TokenizeCommandArgs& args, std::ostream& out, std::ostream& err);
int run_tokenize_command(const TokenizeCommandArgs& args);

}  // namespace higgs
