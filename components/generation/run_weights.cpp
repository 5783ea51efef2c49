#include <torch/torch.h>

#include "components/generation/run_weights.h"

#include <filesystem>
#include <map>
#include <stdexcept>

#include "components/adapters/lora.h"
#include "framework/config/json_file.h"
#include "framework/train/checkpoint.h"
#include "framework/train/hooks.h"
#include "framework/util/fs.h"

#include <spdlog/spdlog.h>

namespace higgs::generation {

namespace fs = std::filesystem;

std::string resolve_checkpoint_dir(const std::string& path) {
  if (fs::exists(fs::path(path) / "trainer_state.json")) return path;
  if (!fs::is_directory(path))
    throw std::runtime_error(path + ": not a run directory or checkpoint directory");
  auto newest = CheckpointStore(path).newest();
  if (!newest)
    throw std::runtime_error(path +
                             ": no complete checkpoint-STEP/ directory (has the run saved "
                             "a checkpoint yet? trainer.save_every, or wait for the end)");
  return *newest;
}

int64_t load_checkpoint_trainables(const std::string& checkpoint_dir, Model& model,
                                   const std::vector<std::shared_ptr<Adapter>>& adapters) {
  const std::string file = (fs::path(checkpoint_dir) / "trainable.pt").string();
  if (!fs::exists(file))
    throw std::runtime_error(file + ": missing (not a higgs-train checkpoint?)");
  TensorMap saved = load_tensor_map(file);
  std::map<std::string, torch::Tensor> params;
  for (const auto& item : model.module().named_parameters(true)) params[item.key()] = item.value();
  for (const auto& a : adapters)
    for (const auto& p : a->parameters()) params.emplace(p.name, p.tensor);
  std::string unknown;
  torch::NoGradGuard ng;
  int64_t n = 0;
  for (const auto& [name, t] : saved) {
    auto it = params.find(name);
    if (it == params.end()) {
      unknown += (unknown.empty() ? "" : ", ") + name;
      continue;
    }
    if (!it->second.sizes().equals(t.sizes()))
      throw std::runtime_error(file + ": " + name + " has shape " + c10::str(t.sizes()) +
                               ", the model has " + c10::str(it->second.sizes()));
    it->second.copy_(t);
    ++n;
  }
  if (!unknown.empty())
    throw std::runtime_error(file + ": the model has no parameter " + unknown +
                             " (was the run trained with adapters the recipe no longer names?)");
  return n;
}

std::shared_ptr<Adapter> load_lora_adapter(const std::string& dir, Model& model) {
  const std::string cfg_path = (fs::path(dir) / "adapter_config.json").string();
  if (!fs::exists(cfg_path))
    throw std::runtime_error(dir + ": no adapter_config.json (expected a PEFT LoRA directory)");
  Json c = read_json_file(cfg_path);
  LoraAdapter::Options o;
  o.r = c.value("r", o.r);
  o.alpha = c.value("lora_alpha", o.alpha);
  o.use_rslora = c.value("use_rslora", false);
  o.dropout = 0.0;
  if (c.contains("target_modules") && c["target_modules"].is_array())
    o.target_modules = c["target_modules"].get<std::vector<std::string>>();
  else if (c.contains("target_modules") && c["target_modules"].is_string())
    throw std::runtime_error(cfg_path +
                             ": a regex target_modules is not supported by --adapter; "
                             "name the adapter in the recipe instead");
  auto adapter = std::make_shared<LoraAdapter>(o);
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

std::string TrainedWeights::load(Model& model, std::vector<std::shared_ptr<Adapter>>& adapters) const {
  for (auto& a : adapters) a->attach(model);
  std::string loaded = "the model as the recipe builds it";
  if (!checkpoint.empty()) {
    const std::string dir = resolve_checkpoint_dir(checkpoint);
    const int64_t n = load_checkpoint_trainables(dir, model, adapters);
    spdlog::info("loaded {} trainable tensors from {}", n, dir);
    loaded = dir;
  }
  if (!adapter.empty()) {
    if (!adapters.empty()) adapters.front()->load(adapter);
    else adapters.push_back(load_lora_adapter(adapter, model));
    spdlog::info("loaded adapter {}", adapter);
    loaded += " + adapter " + adapter;
  }
  return loaded;
}

}  // namespace higgs::generation
