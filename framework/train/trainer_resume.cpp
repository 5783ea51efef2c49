#include <torch/torch.h>

#include "framework/train/trainer_resume.h"

#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "framework/config/diagnostics.h"
#include "framework/distributed/resume.h"
#include "framework/train/checkpointer.h"
#include "framework/train/data_fingerprint.h"
#include "framework/util/dir_commit.h"
#include "framework/util/glob.h"

namespace higgs {

const std::vector<std::string>& default_resume_changeable_keys() {
  static const std::vector<std::string> keys{"output_dir",
                                             "threads",
                                             "description",
                                             "trainer.max_steps",
                                             "trainer.epochs",
                                             "trainer.log_every",
                                             "trainer.eval_every",
                                             "trainer.save_every",
                                             "trainer.keep_last",
                                             "trainer.num_workers",
                                             "trainer.prefetch",
                                             "trainer.progress_bar",
                                             "trainer.eval_batches",
                                             "trainer.allow_changed_on_resume*",
                                             "trainer.allow_world_size_change",
                                             "callbacks*",
                                             "task*"};
  return keys;
}

std::vector<std::string> disallowed_recipe_changes(const Json& before, const Json& after,
                                                   const std::vector<std::string>& allowed) {
  std::map<std::string, Json> a, b;
  for (auto& [k, v] : flatten(before)) a[k] = v;
  for (auto& [k, v] : flatten(after)) b[k] = v;
  std::vector<std::string> out;
  auto check = [&](const std::string& key, const std::string& from, const std::string& to) {
    if (glob_match_any(allowed, key) || glob_match_any(default_resume_changeable_keys(), key))
      return;
    out.push_back(key + ": " + from + " -> " + to);
  };
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end())
      check(k, v.dump(), "(removed)");
    else if (it->second != v)
      check(k, v.dump(), it->second.dump());
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) check(k, "(absent)", v.dump());
  return out;
}

namespace {

// The checkpoint this rank would resume: --resume auto's newest verified one (damaged newer
// ones passed over with a warning), or the named one once it verifies.
std::optional<std::string> local_choice(const std::string& resume, const Checkpointer& checkpoints,
                                        bool main_rank) {
  if (resume == "auto")
    return checkpoints.newest_verified([&](const std::string& dir, const std::string& problem) {
      if (main_rank)
        spdlog::warn("--resume auto: passing over {}: {}; resuming from an older checkpoint", dir,
                     problem);
    });
  if (std::filesystem::exists(std::filesystem::path(resume) /
                              kManifestFile))  // else: read_state says
    if (auto problem = Checkpointer::verify(resume))
      throw RecipeError("--resume " + resume + ": the checkpoint is damaged: " + *problem +
                        "; resume from an older checkpoint-STEP of the run (or --resume auto, "
                        "which picks the newest complete one)");
  return resume;
}

void check_recipe_unchanged(const std::string& ckpt, const Json& before, const ResumeRequest& r) {
  auto bad = disallowed_recipe_changes(before, r.resolved_recipe, r.allow_changed);
  if (bad.empty()) return;
  std::vector<Diagnostic> items;
  for (const auto& b : bad) items.push_back({"", b});
  items.push_back({"", "allow them with trainer.allow_changed_on_resume, or start a new run"});
  throw RecipeError("resuming " + ckpt + " with a changed recipe", items);
}

// A checkpoint's position indexes the samples as they were: a changed data file is refused
// unless "SPLIT.contents" is allowed to change.
void check_data_unchanged(const std::string& ckpt, const TrainState& saved, const ResumeRequest& r,
                          bool main_rank) {
  std::vector<Diagnostic> changed;
  for (const auto& [split, now] : r.data_files.items()) {
    if (!saved.data_files.contains(split)) continue;  // a checkpoint from before they were kept
    for (const auto& line : fingerprint_changes(split, saved.data_files[split], now)) {
      if (glob_match_any(r.allow_changed, split + ".contents")) {
        if (main_rank) spdlog::warn("resuming with changed data (allowed): {}", line);
      } else {
        changed.push_back({"", line});
      }
    }
  }
  if (changed.empty()) return;
  changed.push_back({"", "the checkpoint's position (epoch " + std::to_string(saved.epoch) +
                             ", batch " + std::to_string(saved.batch_in_epoch) +
                             ") indexes the samples as they were; restore the files, start a "
                             "new run, or allow it with trainer.allow_changed_on_resume: "
                             "[\"train_data.contents\"]"});
  throw RecipeError("resuming " + ckpt + " with changed data files", changed);
}

}  // namespace

TrainState resume_training(const ResumeRequest& r, const Checkpointer& checkpoints,
                           const TrainerParts& parts, Communicator& comm, bool main_rank) {
  if (r.resume.empty()) return {};
  auto ckpt = local_choice(r.resume, checkpoints, main_rank);
  ckpt = agree_on_checkpoint(comm, ckpt, checkpoints.run_dir(), r.resume == "auto");
  if (!ckpt) {
    spdlog::info("--resume auto: no checkpoint in {}, starting from step 0", checkpoints.run_dir());
    return {};
  }
  if (!Checkpointer::is_checkpoint(*ckpt))
    throw RecipeError("--resume " + *ckpt + ": not a complete checkpoint (no trainer_state.json)");
  const Json before = Checkpointer::read_recipe(*ckpt);
  check_recipe_unchanged(*ckpt, before, r);
  TrainState state = Checkpointer::read_state(*ckpt);
  check_data_unchanged(*ckpt, state, r, main_rank);
  adapt_progress_to_world_size(state, comm.world_size(),
                               before["trainer"].value("batch_size", r.batch_size), r.batch_size,
                               r.allow_world_size_change, *ckpt);
  const at::Device device = parts.trainable.front().tensor.device();
  Checkpointer::restore_training(*ckpt, parts.trainable, *parts.optimizer, device);
  for (size_t i = 0; i < parts.callbacks.size() && i < state.callback_states.size(); ++i)
    parts.callbacks[i]->load_state(state.callback_states[i]);
  spdlog::info("resumed from {} at step {} (epoch {}, batch {})", *ckpt, state.step, state.epoch,
               state.batch_in_epoch);
  return state;
}

}  // namespace higgs
