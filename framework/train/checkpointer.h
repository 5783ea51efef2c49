// The Checkpointer is the one place that knows what a checkpoint holds: its file names, how it is
// written and read back, which checkpoint of a run directory is the newest or the best, and where
// adapters go in PEFT's layout. Train, resume, evaluate, generate and export all go through it.
//
// Crash safety: each checkpoint-STEP/ is written whole (framework/util/dir_commit: a temporary
// copy with a manifest of every file's size and XXH64, put in place by renames only), so after a
// crash at any moment every checkpoint is either complete or absent, a rewrite of an existing
// step leaves the old or the new copy, and resume picks the newest verified one.
//
//   checkpoint-STEP/
//     trainable.pt          the trainable tensors by name (LoRA weights, modules trained in full)
//     optimizer.pt          the optimizer's state
//     rng.pt                the generators' states ("cpu", and "cuda" on a GPU)
//     trainer_state.json    the TrainState's saved part (position, best metric, callbacks)
//     recipe.resolved.json  the recipe the run was trained with
//     adapter/, adapter_1/  each adapter alone, in PEFT's layout
//     higgs_manifest.json   sizes and checksums of all of the above
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/train/optimizer.h"
#include "framework/train/trainer_state.h"
#include "framework/train/types.h"

namespace higgs {

class Adapter;
class Model;
class Optimizer;

/// The resolved recipe, in the run directory and in every checkpoint.
inline constexpr const char* kResolvedRecipeFile = "recipe.resolved.json";

/// Saves named tensors to one file (a torch.save zip archive) and loads them.
void save_tensor_map(const std::string& path, const TensorMap& tensors);
TensorMap load_tensor_map(const std::string& path);

/// Where each adapter of a list goes inside `dir`: in a checkpoint "adapter", "adapter_1", ...;
/// in an exported or final directory (`at_root`) the first is `dir` itself, as PEFT loads it.
std::string adapter_dir(const std::string& dir, size_t index, bool at_root);
/// Writes every adapter alone (PEFT layout) into `dir`, placed by adapter_dir.
void save_adapters(const std::string& dir, const std::vector<std::shared_ptr<Adapter>>& adapters,
                   bool at_root);

/// What a training checkpoint is made from.
struct CheckpointContents {
  const ParameterList& trainable;
  const Optimizer& optimizer;
  const std::vector<std::shared_ptr<Adapter>>& adapters;
  const TrainState& state;
  const Json& resolved_recipe;
};

/// The checkpoints of one run directory (checkpoint-STEP/ folders, the `best` link, final/).
class Checkpointer {
 public:
  explicit Checkpointer(std::string run_dir) : run_dir_(std::move(run_dir)) {}
  const std::string& run_dir() const { return run_dir_; }

  // ---- Where: listing and resolution.

  /// Whether `dir` is a checkpoint directory (it holds trainer_state.json).
  static bool is_checkpoint(const std::string& dir);
  /// The checkpoint `path` names: itself when it is one, else the run directory's newest
  /// complete checkpoint (`which` "newest") or the one `best` links to ("best"). `command` starts
  /// the error, which names `path` and what to do.
  static std::string resolve(const std::string& path, const std::string& which,
                             const std::string& command);
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
  /// The checkpoint `best` points to, when it exists.
  std::optional<std::string> best() const;

  // ---- Writing.

  /// Writes checkpoint-STEP for `contents.state.step` whole and returns its path. A checkpoint of
  /// the same step is replaced only once the new copy is complete.
  std::string write(const CheckpointContents& contents) const;
  /// Writes checkpoint-STEP with `fill(tmp_dir)` writing the files (the same atomic commit).
  std::string write_files(int64_t step, const std::function<void(const std::string&)>& fill) const;
  /// Writes final/: the adapters alone when there are any, else the whole model (`model.save`).
  /// An existing final/ stays until the new one is complete. Returns its path.
  std::string write_final(const Model& model,
                          const std::vector<std::shared_ptr<Adapter>>& adapters) const;
  /// Deletes all but the newest `keep_last` checkpoints, never deleting `protect` (a path, or a
  /// name inside the run directory). Each goes by a rename first, so none is ever seen torn.
  void prune(int64_t keep_last, const std::string& protect = "") const;
  /// Points the run directory's `best` link at `checkpoint_dir` (atomically replaced).
  void set_best(const std::string& checkpoint_dir) const;
  /// Finishes or rolls back what interrupted writes, replacements and prunes of checkpoints and of
  /// final/ left behind (see recover_directory), logging each action as a warning.
  void recover() const;

  // ---- Reading.

  /// The recipe a checkpoint was trained with.
  static Json read_recipe(const std::string& checkpoint);
  /// The TrainState a checkpoint saved.
  static TrainState read_state(const std::string& checkpoint);
  /// Resume: the trainable tensors (every one must be there), the optimizer's state and the
  /// generators' states back from `checkpoint`; `device` is the one training runs on.
  static void restore_training(const std::string& checkpoint, const ParameterList& trainable,
                               Optimizer& optimizer, const at::Device& device);
  /// Generate, evaluate, export: copies every saved trainable tensor into the parameter of the
  /// same name of the model (adapters attached) or of an adapter, checking shapes. Returns the
  /// parameters restored; throws listing saved names the model does not have.
  static ParameterList restore_trainables(const std::string& checkpoint, Model& model,
                                          const std::vector<std::shared_ptr<Adapter>>& adapters);

 private:
  std::string run_dir_;
};

}  // namespace higgs
