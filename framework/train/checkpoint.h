// Crash-safe checkpoints: each checkpoint-STEP/ is written whole (framework/util/dir_commit: a
// temporary copy with a manifest of every file's size and XXH64, put in place by renames only),
// so after a crash at any moment every checkpoint is either complete or absent, a rewrite of an
// existing step leaves the old or the new copy, and resume picks the newest verified one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "framework/train/types.h"

namespace higgs {

/// Saves named tensors to one file (safetensors when available, see tensor_io) and loads them.
void save_tensor_map(const std::string& path, const TensorMap& tensors);
TensorMap load_tensor_map(const std::string& path);

/// The checkpoints of a run directory: checkpoint-STEP/ folders.
class CheckpointStore {
 public:
  explicit CheckpointStore(std::string run_dir) : run_dir_(std::move(run_dir)) {}

  /// Writes a checkpoint for `step`: `fill(tmp_dir)` writes the files; the folder then gets its
  /// manifest and is put in place as checkpoint-STEP (replacing one of the same step only once
  /// the new copy is whole). Returns the final path.
  std::string write(int64_t step, const std::function<void(const std::string&)>& fill);
  /// Complete checkpoints (manifest and file sizes agree; written before manifests existed:
  /// trainer_state.json present), oldest first.
  std::vector<std::pair<int64_t, std::string>> list() const;
  std::optional<std::string> newest() const;
  /// The newest checkpoint whose files also match the manifest's checksums; each newer one that
  /// does not is passed to `skipped` (its path and what is wrong) and passed over.
  std::optional<std::string> newest_verified(
      const std::function<void(const std::string&, const std::string&)>& skipped) const;
  /// What is wrong with the checkpoint `dir` (sizes and checksums against its manifest), or
  /// nullopt; a checkpoint from before manifests is accepted when it has trainer_state.json.
  static std::optional<std::string> verify(const std::string& dir);
  /// Deletes all but the newest `keep_last` checkpoints, never deleting `protect` (a path, or a
  /// name inside the run directory). Each goes by a rename first, so none is ever seen torn.
  void prune(int64_t keep_last, const std::string& protect = "");
  /// Points the run directory's `best` link at `checkpoint_dir` (atomically replaced).
  void set_best(const std::string& checkpoint_dir) const;
  /// The checkpoint `best` points to, when it exists.
  std::optional<std::string> best() const;
  /// Finishes or rolls back what interrupted writes, replacements and prunes of checkpoints and of
  /// final/ left behind (see recover_directory), logging each action as a warning.
  void recover() const;

 private:
  std::string run_dir_;
};

}  // namespace higgs
