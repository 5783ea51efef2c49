// A task's options as command-line flags, derived from the same bind that reads the recipe,
// describes the task and writes its schema: one flag per option, named after the key
// ("max_text_tokens" -> --max-text-tokens; a boolean that defaults to true is --no-KEY), with its
// type, default, choices and help. Only the flags given reach the recipe, as task.KEY, so the
// recipe's own task values stay unless a flag overrides them.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "framework/config/config.h"

namespace CLI {
class App;
}

namespace higgs::cli {

class TaskFlags {
 public:
  /// Adds a flag to `cmd` for every option of the registered task `task_type`, except `skip`.
  TaskFlags(CLI::App* cmd, const std::string& task_type, const std::set<std::string>& skip = {});
  ~TaskFlags();
  TaskFlags(const TaskFlags&) = delete;
  TaskFlags& operator=(const TaskFlags&) = delete;

  /// Whether the flag of option `key` was given.
  bool given(const std::string& key) const;
  /// {"type": TASK, KEY: VALUE for each flag given}; a value that is not of the option's type is
  /// a RecipeError naming the flag.
  Json task_json() const;

 private:
  struct Flag;
  std::string type_;
  std::vector<std::unique_ptr<Flag>> flags_;
};

/// "max_text_tokens" -> "max-text-tokens".
std::string flag_name(const std::string& key);

}  // namespace higgs::cli
