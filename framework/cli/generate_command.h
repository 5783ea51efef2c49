// `higgs-run generate RUN_DIR|RECIPE ...`: runs the recipe (or a finished run's resolved recipe)
// with task "generate", built from the command-line flags.
#pragma once

#include "framework/cli/tool_commands.h"

namespace higgs::cli {

ToolCommand add_generate_command(CLI::App& app);

}  // namespace higgs::cli
