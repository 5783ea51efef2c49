// Resuming a run: which checkpoint, and the checks that it can continue this run (same recipe
// but for the keys allowed to change, same data files, the same number of processes or an
// allowed change), before its tensors are loaded.
#pragma once

#include <string>
#include <vector>

#include "framework/train/trainer.h"
#include "framework/train/trainer_state.h"

namespace higgs {

class Checkpointer;

/// What a resume is asked for and checked against.
struct ResumeRequest {
  std::string resume;    // "auto" (the newest verified checkpoint, or none) or a checkpoint path
  Json resolved_recipe;  // this run's
  std::vector<std::string> allow_changed;  // recipe keys (globs) allowed to differ
  Json data_files;                         // this run's data fingerprints, per split
  int64_t batch_size = 1;                  // this run's trainer.batch_size
  bool allow_world_size_change = false;
};

/// The state a run starts from: step 0 when `request.resume` is empty or "auto" finds no
/// checkpoint; else the checkpoint's, once every check passed, with the trainable tensors, the
/// optimizer, the generators and the callbacks restored. Every rank resumes the same checkpoint.
TrainState resume_training(const ResumeRequest& request, const Checkpointer& checkpoints,
                           const TrainerParts& parts, Communicator& comm, bool main_rank);

/// Recipe keys that may change when a run is resumed without being listed explicitly.
const std::vector<std::string>& default_resume_changeable_keys();
/// The keys whose values differ between two resolved recipes and are not allowed to change.
std::vector<std::string> disallowed_recipe_changes(const Json& before, const Json& after,
                                                   const std::vector<std::string>& allowed);

}  // namespace higgs
