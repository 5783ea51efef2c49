// The one state of a training run: what callbacks see, and what a checkpoint saves of it
// (trainer_state.json) to resume at the same place.
#pragma once

#include <string>

#include "framework/train/types.h"

namespace higgs {

struct TrainState {
  // ---- Saved in every checkpoint.
  int64_t step = 0;              // optimizer steps done
  int64_t epoch = 0;             // current epoch
  int64_t batch_in_epoch = 0;    // next batch of the epoch to consume (per rank)
  int64_t epoch_start_step = 0;  // the step the current epoch began at (a curriculum's plan)
  int64_t bad_steps = 0;         // consecutive non-finite steps
  int64_t world_size = 1;        // processes of the run that wrote it (batch_in_epoch is per rank)
  bool has_best = false;         // best_value holds a value of the trainer's best_metric
  double best_value = 0.0;
  std::string best_checkpoint;  // a name inside the run directory ("checkpoint-40"); "": none
  Json callback_states = Json::array();  // each callback's state(), in recipe order
  // Per split ("train_data", "eval_data"): the data files' fingerprints (data_fingerprint.h);
  // empty in checkpoints written before they were recorded.
  Json data_files = Json::object();

  // ---- This run only.
  int64_t total_steps = 0;  // planned
  int64_t eval_every = 0;   // steps between evaluations; 0: only at the end
  std::string output_dir;
  Json metrics = Json::object();  // latest train or eval metrics
  bool stop_requested = false;    // set by a callback to end training after this step

  /// trainer_state.json: the saved part.
  Json to_json() const;
  /// Reads the saved part back into a default state.
  static TrainState from_json(const Json& j);
};

}  // namespace higgs
