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

/// A LoRA adapter built from DIR/adapter_config.json (LoraAdapter::peft_options), attached to
/// the model, with DIR/adapter_model.safetensors loaded.
std::shared_ptr<Adapter> load_lora_adapter(const std::string& dir, Model& model);

/// The weights a task runs with besides the recipe's model: a run's or checkpoint's trainable
/// tensors, and a PEFT adapter. Task options `checkpoint` and `adapter` (generate, evaluate).
struct TrainedWeights {
  std::string checkpoint;
  std::string adapter;
  static void bind(Binder& b, TrainedWeights& o);
  /// Finds the checkpoint and reads the adapter's config, so that a wrong path is reported
  /// before the model is built and its weights loaded.
  void check() const;
  /// Attaches `adapters` (the recipe's) to the model, then loads the checkpoint's trainable
  /// tensors and the adapter. Returns what was loaded, for messages ("the model as the recipe
  /// builds it" when nothing was).
  std::string load(Model& model, std::vector<std::shared_ptr<Adapter>>& adapters) const;
};

}  // namespace higgs::generation
