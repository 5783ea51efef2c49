// Kind `task`: what `higgs-run RECIPE` does with the components of a recipe.
#pragma once

#include <string>
#include <vector>

#include "framework/run/build_context.h"

namespace higgs {

class Task {
 public:
  static constexpr const char* kKind = "task";
  virtual ~Task() = default;
  /// Recipe keys this task needs; checked with every other recipe error, before loading.
  virtual std::vector<std::string> required_keys() const { return {}; }
  /// Runs the task; returns the process exit code.
  virtual int run(BuildContext& ctx) = 0;
};

}  // namespace higgs
