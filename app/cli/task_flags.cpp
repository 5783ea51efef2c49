#include "app/cli/task_flags.h"

#include <filesystem>

#include <CLI/CLI.hpp>

#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"

namespace higgs::cli {

std::string flag_name(const std::string& key) {
  std::string out = key;
  for (auto& c : out)
    if (c == '_') c = '-';
  return out;
}

struct TaskFlags::Flag {
  FieldInfo info;
  std::string type;  // type_name of the option: "boolean", "integer|null", "array<string>", ...
  Json default_value;
  std::string name;  // "--max-text-tokens"
  CLI::Option* option = nullptr;
  std::vector<std::string> values;  // what was given (one for a scalar)
  bool switched = false;            // a boolean's flag was given

  bool is_bool() const { return type == "boolean"; }
  bool is_list() const { return type.rfind("array<", 0) == 0; }
  Json value() const;
};

namespace {

// The base type of "integer|null", "array<integer>": "integer".
std::string scalar_type(const std::string& type) {
  if (type.rfind("array<", 0) == 0) return type.substr(6, type.size() - 7);
  auto bar = type.find('|');
  return bar == std::string::npos ? type : type.substr(0, bar);
}

Json parse_scalar(const std::string& text, const std::string& type, const std::string& flag) {
  try {
    size_t used = 0;
    if (type == "integer") {
      const int64_t v = std::stoll(text, &used);
      if (used == text.size()) return v;
    } else if (type == "number") {
      const double v = std::stod(text, &used);
      if (used == text.size()) return v;
    } else if (type == "any") {
      return Json::parse(text);
    } else {
      return text;
    }
  } catch (const std::exception&) {
  }
  throw RecipeError(
      flag + " " + text + ": expected " +
      (type == "any" ? "JSON" : "a" + std::string(type == "integer" ? "n integer" : " number")));
}

}  // namespace

Json TaskFlags::Flag::value() const {
  if (is_bool()) return !default_value.get<bool>();  // a flag switches the default
  const std::string base = scalar_type(type);
  auto one = [&](const std::string& text) {
    Json v = parse_scalar(text, base, name);
    if (info.cli_path && v.is_string()) v = std::filesystem::absolute(text).string();
    return v;
  };
  if (!is_list()) return one(values.front());
  Json out = Json::array();
  for (const auto& v : values) out.push_back(one(v));
  return out;
}

TaskFlags::TaskFlags(CLI::App* cmd, const std::string& task_type, const std::set<std::string>& skip)
    : type_(task_type) {
  const RegistryEntry* entry = registry(Task::kKind).find(task_type);
  if (!entry) throw std::logic_error("no task \"" + task_type + "\" registered");
  const ComponentDescription d = describe_component(*entry);
  for (size_t i = 0; i < d.fields.size(); ++i) {
    if (skip.count(d.fields[i].key)) continue;
    auto f = std::make_unique<Flag>();
    f->info = d.fields[i];
    f->type = d.types[i];
    f->default_value = d.defaults[i];
    const bool negated = f->is_bool() && f->default_value == true;
    f->name = "--" + (!f->info.flag.empty() ? f->info.flag
                                            : (negated ? "no-" : "") + flag_name(f->info.key));
    std::string help = f->info.doc;
    if (negated) help = "Turns off " + f->info.key + ": " + help;
    if (f->is_bool()) {
      f->option = cmd->add_flag(f->name, f->switched, help);
      flags_.push_back(std::move(f));
      continue;
    }
    f->option = cmd->add_option(f->name, f->values, help);
    if (!f->is_list()) f->option->expected(1);
    if (!f->default_value.is_null() && !(f->is_list() && f->default_value.empty()))
      f->option->default_str(f->default_value.is_string() ? f->default_value.get<std::string>()
                                                          : f->default_value.dump());
    if (!f->info.choices.empty()) f->option->check(CLI::IsMember(f->info.choices));
    if (f->info.required) f->option->required();
    f->option->type_name(scalar_type(f->type) == "string"    ? "TEXT"
                         : scalar_type(f->type) == "any"     ? "JSON"
                         : scalar_type(f->type) == "integer" ? "INT"
                                                             : "NUMBER");
    flags_.push_back(std::move(f));
  }
}

TaskFlags::~TaskFlags() = default;

bool TaskFlags::given(const std::string& key) const {
  for (const auto& f : flags_)
    if (f->info.key == key) return f->option->count() > 0;
  return false;
}

Json TaskFlags::task_json() const {
  Json task{{"type", type_}};
  for (const auto& f : flags_)
    if (f->option->count() > 0) task[f->info.key] = f->value();
  return task;
}

}  // namespace higgs::cli
