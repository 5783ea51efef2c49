// `higgs-run completion bash|zsh`: a completion script generated from the program's own commands
// and options and from the registry (kinds, KIND/NAME), so it never falls behind either.
#pragma once

#include <string>

#include "app/cli/tool_commands.h"

namespace higgs::cli {

/// The bash script: `source <(higgs-run completion bash)`, or save it under
/// ~/.local/share/bash-completion/completions/higgs-run.
std::string bash_completion_script(const CLI::App& app);
/// The zsh script: save it as _higgs-run in a directory of $fpath, or `source` it after compinit.
std::string zsh_completion_script(const CLI::App& app);

/// Adds the `completion` command to `app`.
ToolCommand add_completion_command(CLI::App& app);

}  // namespace higgs::cli
