// The run directory contract: resolved recipe, overrides, metadata, log, metrics, checkpoints.
#pragma once

#include <memory>
#include <string>

#include "framework/run/task.h"

namespace higgs {

class RunDirectoryLock;

class RunDirectory {
 public:
  /// Prepares the output directory of a run. A non-empty directory is refused unless the run
  /// resumes (--resume) or --force is given, and even then unless higgs-train made it (its
  /// marker, run_dir_guard.h): a folder of the user's is never written into. Rank 0 locks it for
  /// the life of the returned object (a second process training there is refused, naming this
  /// one's pid), writes recipe.resolved.json, recipe.overrides.json and meta.json, and logs to
  /// `log_name` there; other ranks wait for it.
  static RunDirectory prepare(const TaskContext& ctx, const std::string& log_name = "train.log");

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static RunDirectory prepare_local(const TaskContext& ctx, const std::string& log_name);
  std::string path_;
  std::shared_ptr<RunDirectoryLock> lock_;  // rank 0: held while training
};

/// Metadata of this process and build (argv, version, git revision, library versions, host).
Json run_metadata(const TaskContext& ctx);

}  // namespace higgs
