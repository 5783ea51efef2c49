#include "app/cli/help_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/cli/commands.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "framework/util/console.h"
#include "framework/util/exit_codes.h"

namespace higgs::cli {

namespace {

// The long option names of one command, with their dashes ("--lr").
std::vector<std::string> long_option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options())
    for (const auto& n : o->get_lnames()) names.push_back("--" + n);
  return names;
}

}  // namespace

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sc : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sc->get_name());
  return names;
}

const CLI::App* find_command(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sc : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sc->get_name() == name) return sc;
  return nullptr;
}

int print_help(const CLI::App& app, const std::string& name) {
  if (name.empty()) {  // app.help() would show the parsed command's (help's own) help
    std::cout << app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
    return 0;
  }
  if (const CLI::App* command = find_command(app, name)) {
    std::cout << command->help();
    return 0;
  }
  if (name.find('/') != std::string::npos) return describe_component(name);
  const std::vector<std::string> kinds = component_kinds();
  if (std::count(kinds.begin(), kinds.end(), name)) return list_components(name);
  std::vector<std::string> candidates = command_names(app);
  candidates.insert(candidates.end(), kinds.begin(), kinds.end());
  std::cerr << error_prefix() << "help: \"" << name << "\" is no command, kind or KIND/NAME"
            << suggestion_suffix(name, candidates) << "; `higgs-run help` lists the commands\n";
  return kExitUsage;
}

std::string unknown_command_message(const std::vector<std::string>& commands,
                                    const std::string& word) {
  std::error_code ec;
  if (std::filesystem::exists(word, ec) || word.find('.') != std::string::npos ||
      word.find('/') != std::string::npos)
    return "";  // a recipe path (maybe missing: `run` says so, naming it)
  const std::string close = did_you_mean(word, commands);
  if (close.empty()) return "";
  return "unknown command \"" + word + "\" (did you mean \"" + close + "\"?)";
}

std::vector<std::string> unknown_option_messages(const CLI::App& app, const CLI::App* command,
                                                 const std::vector<std::string>& args) {
  std::vector<std::string> known = long_option_names(app);
  if (command) {
    const auto own = long_option_names(*command);
    known.insert(known.end(), own.begin(), own.end());
  }
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (a.rfind("--", 0) != 0 || a == "--") continue;
    const std::string name = a.substr(0, a.find('='));
    if (std::count(known.begin(), known.end(), name)) continue;
    out.push_back("unknown option " + name + suggestion_suffix(name, known));
  }
  return out;
}

}  // namespace higgs::cli
