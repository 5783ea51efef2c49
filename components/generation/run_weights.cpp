#include <torch/torch.h>

#include "components/generation/run_weights.h"

#include <filesystem>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "components/adapters/lora.h"
#include "framework/train/adapter.h"
#include "framework/train/checkpointer.h"
#include "framework/util/fs.h"

namespace higgs::generation {

namespace fs = std::filesystem;

std::shared_ptr<Adapter> load_lora_adapter(const std::string& dir, Model& model) {
  auto adapter = std::make_shared<LoraAdapter>(LoraAdapter::peft_options(dir));
  adapter->attach(model);
  adapter->load(dir);
  return adapter;
}

void TrainedWeights::bind(Binder& b, TrainedWeights& o) {
  b.opt("checkpoint", o.checkpoint,
        "Run directory (its newest checkpoint-STEP) or checkpoint directory whose trainable "
        "weights replace the model's; \"\" = the model as the recipe builds it.");
  b.opt("adapter", o.adapter, "A LoRA adapter directory in PEFT layout to attach and load.");
}

void TrainedWeights::check() const {
  if (!checkpoint.empty()) Checkpointer::resolve(checkpoint, "newest", "task.checkpoint");
  if (!adapter.empty()) LoraAdapter::peft_options(adapter);
}

std::string TrainedWeights::load(Model& model,
                                 std::vector<std::shared_ptr<Adapter>>& adapters) const {
  for (auto& a : adapters) a->attach(model);
  std::string loaded = "the model as the recipe builds it";
  if (!checkpoint.empty()) {
    const std::string dir = Checkpointer::resolve(checkpoint, "newest", "task.checkpoint");
    const size_t n = Checkpointer::restore_trainables(dir, model, adapters).size();
    spdlog::info("loaded {} trainable tensors from {}", n, dir);
    loaded = dir;
  }
  if (!adapter.empty()) {
    if (!adapters.empty())
      adapters.front()->load(adapter);
    else
      adapters.push_back(load_lora_adapter(adapter, model));
    spdlog::info("loaded adapter {}", adapter);
    loaded += " + adapter " + adapter;
  }
  return loaded;
}

}  // namespace higgs::generation
