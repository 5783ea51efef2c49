#include <torch/torch.h>

#include "components/tasks/dump_batch.h"

#include <iostream>

#include <spdlog/spdlog.h>

#include "components/tasks/recipe_parts.h"
#include "framework/run/component_builder.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"

namespace higgs {

int dump_batch(const RecipePlan& plan, const std::string& split, int64_t index,
               const std::string& out) {
  std::string key = split == "eval" ? "eval_data" : "train_data";
  if (split != "train" && split != "eval")
    throw RecipeError("--split must be train or eval, got \"" + split + "\"");
  ComponentBuilder components(plan);
  RecipeParts parts(components, RunSettings{plan.settings.seed, plan.settings.device, {}});
  if (!parts.has_dataset(key))
    throw RecipeError(plan.config.source() + ": the recipe has no " + key);
  const int64_t batch_size = parts.trainer()->batch_sizes().train;  // the batches the run trains on
  auto ds = parts.dataset(key);
  auto collator = parts.collator();
  int64_t n = static_cast<int64_t>(ds->size());
  int64_t begin = index * batch_size;
  if (index < 0 || begin >= n)
    throw RecipeError("--index " + std::to_string(index) + ": " + key + " has " +
                      std::to_string(n) + " samples, so batches 0.." +
                      std::to_string((n - 1) / batch_size) + " of " + std::to_string(batch_size));
  std::vector<Example> examples;
  for (int64_t i = begin; i < std::min(n, begin + batch_size); ++i) {
    try {
      examples.push_back(ds->get(static_cast<size_t>(i)));
    } catch (const SampleError& e) {
      spdlog::warn("skipping {}: {}", e.source(), e.reason());
    }
  }
  if (examples.empty())
    throw std::runtime_error("every sample of batch " + std::to_string(index) + " was skipped");
  Batch batch = collator->collate(examples);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& [name, t] : batch.tensors)
    if (t.defined()) tensors[name] = t.contiguous();
  std::string sources;
  for (const auto& info : batch.infos)
    sources += (sources.empty() ? "" : ", ") + info.value("source", std::string("?"));
  tensor_io::save_safetensors(out, tensors,
                              {{"recipe", plan.config.source()},
                               {"split", split},
                               {"index", std::to_string(index)},
                               {"samples", sources}});
  for (const auto& [name, t] : tensors)
    std::cout << name << " " << t.sizes() << " " << t.scalar_type() << "\n";
  std::cout << "wrote " << tensors.size() << " tensors of " << batch.size() << " samples to " << out
            << "\n";
  return 0;
}

}  // namespace higgs
