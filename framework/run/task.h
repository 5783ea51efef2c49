// Kind `task`: what `higgs-run RECIPE` does with the components of a recipe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/run/component_builder.h"
#include "framework/train/run_settings.h"

namespace higgs {

class Communicator;

/// Everything a task runs with: the checked recipe, the command-line flags, the run-wide
/// settings, the process group, and the builder of the recipe's components.
struct TaskContext {
  const RecipePlan& plan;
  RunFlags flags;
  RunSettings run;
  std::shared_ptr<Communicator> communicator;  // a one-process group when not launched by torchrun
  ComponentBuilder& components;
};

class Task {
 public:
  static constexpr const char* kKind = "task";
  virtual ~Task() = default;
  /// Recipe keys this task needs; checked with every other recipe error, before loading.
  virtual std::vector<std::string> required_keys() const { return {}; }
  /// Runs the task; returns the process exit code.
  virtual int run(TaskContext& ctx) = 0;
};

}  // namespace higgs
