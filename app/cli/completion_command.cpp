#include "app/cli/completion_command.h"

#include <iostream>
#include <memory>
#include <sstream>

#include "framework/registry/registry.h"
#include "framework/util/exit_codes.h"

namespace higgs::cli {
namespace {

// What a command's positional argument is, by its name: the completion offers that.
enum class Positional { kRecipe, kKind, kComponent, kHelpTopic, kShell, kPath };

Positional positional_of(const CLI::App& command) {
  for (const CLI::Option* o : command.get_options()) {
    if (!o->get_positional()) continue;
    const std::string& name = o->get_name();
    if (name == "recipe") return Positional::kRecipe;
    if (name == "kind") return Positional::kKind;
    if (name == "component") return Positional::kComponent;
    if (name == "name" && command.get_name() == "help") return Positional::kHelpTopic;
    if (name == "shell") return Positional::kShell;
    return Positional::kPath;
  }
  return Positional::kPath;
}

struct OptionInfo {
  std::string name;  // --set, -J
  std::string help;
  bool takes_value;
};

std::vector<OptionInfo> options_of(const CLI::App& command) {
  std::vector<OptionInfo> out;
  for (const CLI::Option* o : command.get_options()) {
    if (o->get_positional() && !o->nonpositional()) continue;
    const bool value = o->get_items_expected_min() > 0;
    for (const auto& l : o->get_lnames()) out.push_back({"--" + l, o->get_description(), value});
    for (const auto& s : o->get_snames()) out.push_back({"-" + s, o->get_description(), value});
  }
  return out;
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string> component_specs() {
  std::vector<std::string> out;
  for (const auto& kind : component_kinds())
    for (const auto& name : registry(kind).names()) out.push_back(kind + "/" + name);
  return out;
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

// A zsh description: no brackets or colons (they end the spec), single quotes doubled up.
std::string zsh_text(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '[' || c == ']') c = c == '[' ? '(' : ')';
    if (c == ':') c = ',';
    if (c == '\'') {
      out += "'\\''";
      continue;
    }
    out += c;
  }
  return out;
}

const char* kLogLevels = "trace debug info warn error off";

}  // namespace

std::string bash_completion_script(const CLI::App& app) {
  std::vector<std::string> names, global;
  for (const auto* c : commands_of(app)) names.push_back(c->get_name());
  for (const auto& o : options_of(app)) global.push_back(o.name);
  std::ostringstream s;
  s << "# bash completion of higgs-run, made by `higgs-run completion bash` (docs/cli.md).\n"
       "_higgs_run_recipes() {\n"
       "  local f\n"
       "  while IFS= read -r f; do\n"
       "    if [[ -d $f ]]; then COMPREPLY+=(\"$f/\")\n"
       "    else case $f in *.jsonnet|*.libsonnet|*.json|*.yaml|*.yml) COMPREPLY+=(\"$f\") ;; "
       "esac\n"
       "    fi\n"
       "  done < <(compgen -f -- \"$1\")\n"
       "}\n"
       "_higgs_run() {\n"
       "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
       "  local commands=\""
    << joined(names) << "\"\n  local kinds=\"" << joined(component_kinds())
    << "\"\n  local components=\"" << joined(component_specs()) << "\"\n  local global=\""
    << joined(global)
    << "\"\n"
       "  COMPREPLY=()\n"
       "  local i cmd=\"\"\n"
       "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
       "    case ${COMP_WORDS[i]} in\n"
       "      --plugin|--log-level) ((i++)) ;;\n"
       "      -*) ;;\n"
       "      *) cmd=${COMP_WORDS[i]}; break ;;\n"
       "    esac\n"
       "  done\n"
       "  # `higgs-run RECIPE ...` is `higgs-run run RECIPE ...`.\n"
       "  [[ -z $cmd || \" $commands \" == *\" $cmd \"* ]] || cmd=run\n"
       "  case $prev in\n"
       "    --log-level) COMPREPLY=($(compgen -W \""
    << kLogLevels
    << "\" -- \"$cur\")); return ;;\n"
       "    --device) COMPREPLY=($(compgen -W \"cpu cuda auto\" -- \"$cur\")); return ;;\n"
       "  esac\n"
       "  if [[ -z $cmd ]]; then\n"
       "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$global\" -- \"$cur\"))\n"
       "    else COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); _higgs_run_recipes \"$cur\"\n"
       "    fi\n"
       "    return\n"
       "  fi\n"
       "  local opts=\"\" values=\"\"\n"
       "  case $cmd in\n";
  for (const auto* c : commands_of(app)) {
    std::vector<std::string> opts, valued;
    for (const auto& o : options_of(*c)) {
      opts.push_back(o.name);
      if (o.takes_value) valued.push_back(o.name);
    }
    s << "    " << c->get_name() << ") opts=\"" << joined(opts) << "\" values=\"" << joined(valued)
      << "\" ;;\n";
  }
  s << "  esac\n"
       "  # The value of an option: a path (the option names say which ones take none).\n"
       "  if [[ $prev == -* && \" $values \" == *\" $prev \"* ]]; then\n"
       "    mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return\n"
       "  fi\n"
       "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n"
       "  case $cmd in\n";
  for (const auto* c : commands_of(app)) {
    s << "    " << c->get_name() << ") ";
    switch (positional_of(*c)) {
      case Positional::kRecipe:
        s << "_higgs_run_recipes \"$cur\"";
        break;
      case Positional::kKind:
        s << "COMPREPLY=($(compgen -W \"$kinds\" -- \"$cur\"))";
        break;
      case Positional::kComponent:
        s << "COMPREPLY=($(compgen -W \"$components\" -- \"$cur\"))";
        break;
      case Positional::kHelpTopic:
        s << "COMPREPLY=($(compgen -W \"$commands $kinds $components\" -- \"$cur\"))";
        break;
      case Positional::kShell:
        s << "COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\"))";
        break;
      case Positional::kPath:
        s << "COMPREPLY=($(compgen -f -- \"$cur\"))";
        break;
    }
    s << " ;;\n";
  }
  s << "  esac\n"
       "}\n"
       "complete -o filenames -F _higgs_run higgs-run\n";
  return s.str();
}

std::string zsh_completion_script(const CLI::App& app) {
  std::ostringstream s;
  s << "#compdef higgs-run\n"
       "# zsh completion of higgs-run, made by `higgs-run completion zsh` (docs/cli.md).\n"
       "_higgs_run_recipes() { _files -g '*.(jsonnet|libsonnet|json|yaml|yml)(-.)' }\n"
       "_higgs_run() {\n"
       "  local -a commands kinds components\n"
       "  commands=(\n";
  for (const auto* c : commands_of(app))
    s << "    '" << c->get_name() << ":" << zsh_text(c->get_description()) << "'\n";
  s << "  )\n  kinds=(" << joined(component_kinds()) << ")\n  components=("
    << joined(component_specs())
    << ")\n"
       "  local i cmd\n"
       "  for ((i = 2; i < CURRENT; i++)); do\n"
       "    case ${words[i]} in\n"
       "      --plugin|--log-level) ((i++)) ;;\n"
       "      -*) ;;\n"
       "      *) cmd=${words[i]}; break ;;\n"
       "    esac\n"
       "  done\n"
       "  if [[ -z $cmd ]]; then\n"
       "    _arguments -s \\\n";
  for (const auto& o : options_of(app)) {
    s << "      '" << o.name << "[" << zsh_text(o.help) << "]";
    if (o.name == "--log-level")
      s << ":level:(" << kLogLevels << ")";
    else if (o.takes_value)
      s << ":value:_files";
    s << "' \\\n";
  }
  s << "      '1: :->command'\n"
       "    [[ $state == command ]] && { _describe -t commands 'higgs-run command' commands; "
       "_higgs_run_recipes; }\n"
       "    return\n"
       "  fi\n"
       "  # `higgs-run RECIPE ...` is `higgs-run run RECIPE ...`.\n"
       "  [[ -n ${(M)commands:#${cmd}:*} ]] || cmd=run\n"
       "  # From the command on, as if it were the program.\n"
       "  shift $((i - 1)) words\n"
       "  (( CURRENT -= i - 1 ))\n"
       "  case $cmd in\n";
  for (const auto* c : commands_of(app)) {
    s << "    " << c->get_name() << ")\n      _arguments -s \\\n";
    for (const auto& o : options_of(*c)) {
      s << "        '" << o.name << "[" << zsh_text(o.help) << "]";
      if (o.name == "--device")
        s << ":device:(cpu cuda auto)";
      else if (o.takes_value)
        s << ":value:_files";
      s << "' \\\n";
    }
    switch (positional_of(*c)) {
      case Positional::kRecipe:
        s << "        '1:recipe:_higgs_run_recipes'";
        break;
      case Positional::kKind:
        s << "        '1:kind:($kinds)'";
        break;
      case Positional::kComponent:
        s << "        '1:component:($components)'";
        break;
      case Positional::kHelpTopic:
        s << "        '1:topic:(${commands%%:*} $kinds $components)'";
        break;
      case Positional::kShell:
        s << "        '1:shell:(bash zsh)'";
        break;
      case Positional::kPath:
        s << "        '*:file:_files'";
        break;
    }
    s << " ;;\n";
  }
  s << "  esac\n"
       "}\n"
       "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
       "  _higgs_run \"$@\"\n"
       "else\n"
       "  compdef _higgs_run higgs-run\n"
       "fi\n";
  return s.str();
}

ToolCommand add_completion_command(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "completion", "Print a shell completion script: source <(higgs-run completion bash)");
  cmd->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  return {
      cmd, [&app, shell] {
        std::cout << (*shell == "bash" ? bash_completion_script(app) : zsh_completion_script(app));
        return kExitSuccess;
      }};
}

}  // namespace higgs::cli
