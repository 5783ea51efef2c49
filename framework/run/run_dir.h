// The run directory contract: resolved recipe, overrides, metadata, log, metrics, checkpoints.
#pragma once

#include <string>

#include "framework/run/build_context.h"

namespace higgs {

class RunDirectory {
 public:
  /// Prepares the output directory of a run. A non-empty directory is refused unless the run
  /// resumes (--resume) or --force is given. Rank 0 writes recipe.resolved.json,
  /// recipe.overrides.json and meta.json, and logs to `log_name` there; other ranks wait for it.
  static RunDirectory prepare(const BuildContext& ctx, const std::string& log_name = "train.log");

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  static RunDirectory prepare_local(const BuildContext& ctx, const std::string& log_name);
  std::string path_;
};

/// Metadata of this process and build (argv, version, git revision, library versions, host).
Json run_metadata(const BuildContext& ctx);

}  // namespace higgs
