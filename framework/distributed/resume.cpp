#include "framework/distributed/resume.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "framework/config/diagnostics.h"
#include "framework/distributed/data_parallel.h"
#include "framework/train/checkpointer.h"

namespace fs = std::filesystem;

namespace higgs {

namespace {

/// The checkpoint rank 0 picked, named in `run_dir` for every rank.
std::optional<std::string> rank0_checkpoint(Communicator& comm,
                                            const std::optional<std::string>& local_choice,
                                            const std::string& run_dir) {
  double step = -1;
  if (comm.is_main() && local_choice) {
    std::string name = fs::path(*local_choice).filename().string();
    step = name.rfind("checkpoint-", 0) == 0 ? std::stod(name.substr(11)) : -1;
  }
  // Rank 0 passes its step, the others less than any step: the maximum is rank 0's.
  double chosen = all_reduce_values(comm, {comm.is_main() ? step : -2.0}, ReduceOp::Max)[0];
  if (chosen < 0) return std::nullopt;
  if (comm.is_main()) return local_choice;
  return (fs::path(run_dir) / ("checkpoint-" + std::to_string(static_cast<int64_t>(chosen))))
      .string();
}

}  // namespace

std::optional<std::string> agree_on_checkpoint(Communicator& comm,
                                               const std::optional<std::string>& local_choice,
                                               const std::string& run_dir, bool auto_pick) {
  if (comm.world_size() == 1) return local_choice;
  std::optional<std::string> ckpt =
      auto_pick ? rank0_checkpoint(comm, local_choice, run_dir) : local_choice;
  bool visible = !ckpt || Checkpointer::is_checkpoint(*ckpt);
  if (!comm.agree(visible))
    throw RecipeError(
        "--resume: rank " + std::to_string(comm.rank()) + (visible ? " sees " : " cannot see ") +
        (ckpt ? *ckpt : std::string("the checkpoint")) +
        " but some rank cannot; output_dir must be on a filesystem every node shares");
  return ckpt;
}

void adapt_progress_to_world_size(TrainState& state, int world_size, int64_t old_batch_size,
                                  int64_t batch_size, bool allow, const std::string& checkpoint) {
  if (state.world_size == world_size) return;
  std::string was = std::to_string(state.world_size), now = std::to_string(world_size);
  if (!allow)
    throw RecipeError(
        "--resume " + checkpoint + ": it was written by a run with " + was +
            " process(es) and this run has " + now,
        {{"",
          "the data position is counted per process, so the run would not "
          "continue the same sample order"},
         {"", "resume with " + was +
                  " process(es) (torchrun --nproc_per_node, or "
                  "WORLD_SIZE), or set trainer.allow_world_size_change=true to continue "
                  "at the same place in the epoch's sample order"}});
  int64_t consumed = state.batch_in_epoch * old_batch_size * state.world_size;
  int64_t global_batch = batch_size * world_size;
  int64_t position = consumed / global_batch;
  int64_t again = consumed % global_batch;
  spdlog::warn(
      "resuming a checkpoint of {} process(es) with {} (trainer.allow_world_size_change): "
      "{} samples of epoch {} were consumed; continuing at batch {} of each process{}",
      was, now, consumed, state.epoch, position,
      again ? " (" + std::to_string(again) + " samples are seen again)" : std::string());
  state.batch_in_epoch = position;
  state.world_size = world_size;
}

}  // namespace higgs
