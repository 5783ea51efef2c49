// Helpers shared by tests: temporary directories, running commands, writing files.
#pragma once

#include <string>

namespace higgs::test {

/// A fresh directory under the build tree, removed when the object dies (kept if
/// HIGGS_KEEP_TEST_DIRS is set).
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A recipe with three errors at once (a wrong type, a mistyped key, a mistyped component name):
/// optimizer.lr "fast", optimizer.weight_decy, scheduler.type "cosin".
inline constexpr const char* kRecipeWithThreeErrors = R"({
    output_dir: 'runs/x',
    optimizer: { type: 'adamw', lr: 'fast', weight_decy: 0.1 },
    scheduler: { type: 'cosin' },
  })";

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// Runs a shell command and captures its output and exit code.
CommandResult run_command(const std::string& command);
/// Runs build/higgs-run with `args` (a shell-quoted string).
CommandResult run_higgs(const std::string& args);
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);
/// Single-quotes a string for the shell.
std::string shell_quote(const std::string& s);

}  // namespace higgs::test
