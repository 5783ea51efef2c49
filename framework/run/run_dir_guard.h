// What makes a folder a higgs-train run directory, and who is using it: a marker file written
// when higgs-train creates the run directory (only folders carrying it are ever written into,
// pruned or resumed), and an exclusive lock held by the one process training in it.
#pragma once

#include <memory>
#include <string>

namespace higgs {

/// The marker file (JSON: which higgs-train created the run, when).
inline constexpr const char* kRunMarkerFile = ".higgs-run.json";
/// The lock file: flock'ed by the process that trains in the run directory; holds its pid.
inline constexpr const char* kRunLockFile = ".higgs-run.lock";

/// True when `dir` carries the marker, or is a run directory of a higgs-train from before
/// markers (meta.json with its version and argv, and recipe.resolved.json), which it then marks.
bool is_run_directory(const std::string& dir);
/// Writes the marker into `dir` (created by this run).
void mark_run_directory(const std::string& dir);

/// An exclusive lock on a run directory, released when the object goes (or the process ends,
/// however it ends: the kernel drops a dead process's flock).
class RunDirectoryLock {
 public:
  /// Takes the lock or throws RecipeError naming the directory and the holder's pid.
  explicit RunDirectoryLock(const std::string& dir);
  ~RunDirectoryLock();
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace higgs
