// Weights of a finished (or running) training run for generation: the trainable parameters of
// its newest checkpoint, and LoRA adapters in PEFT layout.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/config/options.h"

namespace higgs {
class Model;
class Adapter;
}  // namespace higgs

namespace higgs::generation {

/// The checkpoint directory `path` names: itself when it holds trainer_state.json, else the
/// newest complete checkpoint-STEP/ of a run directory. Throws naming `path` when none.
std::string resolve_checkpoint_dir(const std::string& path);

/// Copies every tensor of CHECKPOINT/trainable.pt into the parameter of the same name of the
/// model (adapters attached) or of an adapter. Returns how many tensors were loaded. Throws
/// listing names the model does not have (e.g. another adapter configuration).
int64_t load_checkpoint_trainables(const std::string& checkpoint_dir, Model& model,
                                   const std::vector<std::shared_ptr<Adapter>>& adapters);

/// A LoRA adapter built from DIR/adapter_config.json (r, lora_alpha, target_modules,
/// use_rslora), attached to the model, with DIR/adapter_model.safetensors loaded.
std::shared_ptr<Adapter> load_lora_adapter(const std::string& dir, Model& model);

/// The weights a task runs with besides the recipe's model: a run's or checkpoint's trainable
/// tensors, and a PEFT adapter. Task options `checkpoint` and `adapter` (generate, evaluate).
struct TrainedWeights {
  std::string checkpoint;
  std::string adapter;
  static void bind(Binder& b, TrainedWeights& o);
  /// Attaches `adapters` (the recipe's) to the model, then loads the checkpoint's trainable
  /// tensors and the adapter. Returns what was loaded, for messages ("the model as the recipe
  /// builds it" when nothing was).
  std::string load(Model& model, std::vector<std::shared_ptr<Adapter>>& adapters) const;
};

}  // namespace higgs::generation
