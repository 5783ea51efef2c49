// Resuming a data-parallel run: every rank must load the same checkpoint, and a checkpoint's
// position in the epoch is counted in per-rank batches, so it depends on the number of processes.
#pragma once

#include <optional>
#include <string>

#include "framework/distributed/communicator.h"
#include "framework/train/trainer_state.h"

namespace higgs {

/// The checkpoint every rank resumes from. With `auto_pick` (`--resume auto`) it is rank 0's
/// choice: other ranks get `run_dir`/checkpoint-STEP of rank 0's step, or nullopt when rank 0
/// found none. When some rank cannot see the checkpoint every rank stops with an error
/// (output_dir must be on a filesystem every node shares).
std::optional<std::string> agree_on_checkpoint(Communicator& comm,
                                               const std::optional<std::string>& local_choice,
                                               const std::string& run_dir, bool auto_pick);

/// Checks that `state` (read from `checkpoint`) was written with `world_size` processes. When it
/// was not: without `allow`, a RecipeError that says what to do; with `allow`, moves
/// state.batch_in_epoch to the same number of samples consumed in the epoch's order (rounded down:
/// at most one global batch is seen again) and warns. `old_batch_size` is the checkpoint recipe's
/// trainer.batch_size, `batch_size` this run's.
void adapt_progress_to_world_size(TrainState& state, int world_size, int64_t old_batch_size,
                                  int64_t batch_size, bool allow, const std::string& checkpoint);

}  // namespace higgs
