// What a checkpoint holds besides weights: position, RNG, best metric, callbacks.
#pragma once

#include <string>

#include "framework/train/hooks.h"

namespace higgs {

struct TrainerProgress {
  int64_t step = 0;            // optimizer steps done
  int64_t epoch = 0;           // current epoch
  int64_t batch_in_epoch = 0;  // next batch of the epoch to consume
  int64_t bad_steps = 0;       // consecutive non-finite steps
  int64_t world_size = 1;      // processes of the run that wrote it (batch_in_epoch is per rank)
  double best_value = 0.0;
  bool has_best = false;
  std::string best_checkpoint;
  Json callbacks = Json::array();
  // Per split ("train_data", "eval_data"): the data files' fingerprints (data_fingerprint.h);
  // empty in checkpoints written before they were recorded.
  Json data_files = Json::object();
  Json to_json() const;
  static TrainerProgress from_json(const Json& j);
};

/// Trainable parameters by name: the weights a checkpoint must hold.
TensorMap trainable_state(const ParameterList& params);
/// Copies saved tensors into the parameters; every trainable name must be present.
void load_trainable_state(const ParameterList& params, const TensorMap& saved,
                          const std::string& source);

/// The states of the generators training draws from (dropout, random init after resume): "cpu",
/// and "cuda" for the default generator of `device` when it is a CUDA device.
TensorMap rng_states(const at::Device& device);
/// Sets them back from a checkpoint's rng.pt; a "cuda" state is restored only on a CUDA device
/// (a run resumed on another kind of device keeps exact CPU draws, and says so).
void set_rng_states(const TensorMap& states, const at::Device& device, const std::string& source);

}  // namespace higgs
