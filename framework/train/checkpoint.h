// Crash-safe checkpoints: written into a temporary directory, fsynced, then renamed, so a crash
// never leaves a half checkpoint under a final name.
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

  /// Writes a checkpoint for `step`: `fill(tmp_dir)` writes the files; the folder is then
  /// fsynced and renamed to checkpoint-STEP. Returns the final path.
  std::string write(int64_t step, const std::function<void(const std::string&)>& fill);
  /// Complete checkpoints, oldest first.
  std::vector<std::pair<int64_t, std::string>> list() const;
  std::optional<std::string> newest() const;
  /// Deletes all but the newest `keep_last` checkpoints, never deleting `protect`.
  void prune(int64_t keep_last, const std::string& protect = "");
  /// Points the run directory's `best` link at `checkpoint_dir` (atomically replaced).
  void set_best(const std::string& checkpoint_dir) const;
  /// The checkpoint `best` points to, when it exists.
  std::optional<std::string> best() const;
  /// Removes leftovers of interrupted writes (.checkpoint-*.tmp).
  void remove_partial() const;

 private:
  std::string run_dir_;
};

}  // namespace higgs
