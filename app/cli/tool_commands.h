// Commands of higgs-run that use Higgs components directly (tokenize, model-info, ...). The CLI
// is the one place that sees both the framework and the components.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace higgs::cli {

struct ToolCommand {
  CLI::App* app;
  std::function<int()> run;
};

/// Adds the component-specific subcommands to `app`.
std::vector<ToolCommand> add_tool_commands(CLI::App& app);

}  // namespace higgs::cli
