#include "framework/cli/tool_commands.h"

#include <memory>

#include "components/text/tokenize_command.h"

namespace higgs::cli {

std::vector<ToolCommand> add_tool_commands(CLI::App& app) {
  std::vector<ToolCommand> out;

  auto tok = std::make_shared<TokenizeCommandArgs>();
  auto* tokenize = app.add_subcommand("tokenize", "Show the ids and pieces a text tokenizer gives");
  tokenize->add_option("--tokenizer", tok->tokenizer,
                       "tokenizer.json, a directory holding one, or a sentencepiece .model")
      ->required();
  auto* text = tokenize->add_option("--text", tok->text, "Text to tokenize");
  auto* file = tokenize->add_option("--file", tok->file, "File: each line is one input");
  text->excludes(file);
  tokenize->add_option("--format", tok->format, "text (ids and pieces) or json (one id array per line)")
      ->check(CLI::IsMember({"text", "json"}));
  out.push_back({tokenize, [tok] { return run_tokenize_command(*tok); }});

  return out;
}

}  // namespace higgs::cli
