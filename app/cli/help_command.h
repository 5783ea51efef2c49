// `higgs-run help [NAME]`, and the did-you-mean of a mistyped command or option.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace higgs::cli {

/// The names of `app`'s commands.
std::vector<std::string> command_names(const CLI::App& app);

/// `app`'s command called `name`, or nullptr.
const CLI::App* find_command(const CLI::App& app, const std::string& name);

/// `help`: the program's help; `help COMMAND`: that command's; `help KIND`: `list KIND`;
/// `help KIND/NAME`: `describe KIND/NAME`. Anything else is a usage error (exit 2) with a
/// did-you-mean over the commands and kinds.
int print_help(const CLI::App& app, const std::string& name);

/// The error for `word`, the first word after the global options, when it is no command and no
/// file but close to a command ("unknown command \"valdiate\" (did you mean \"validate\"?)");
/// "" otherwise (the word is then a recipe path for `run`).
std::string unknown_command_message(const std::vector<std::string>& commands,
                                    const std::string& word);

/// For each argument of `args` that looks like a long option (--NAME or --NAME=VALUE) and that
/// neither `command` nor the program takes: "unknown option --NAME (did you mean --OTHER?)".
std::vector<std::string> unknown_option_messages(const CLI::App& app, const CLI::App* command,
                                                 const std::vector<std::string>& args);

}  // namespace higgs::cli
