// How the tasks of higgs-train compose a run from a recipe: each part built once, from the
// components it depends on, which are built first (the dataset from the tokenizers and the
// model's config, the optimizer from the trainable parameters, callbacks from the model). This
// is the one place that knows which recipe key feeds which creator argument.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "components/audio/feature_extractor.h"
#include "framework/train/adapter.h"
#include "framework/train/callback.h"
#include "framework/train/dataset.h"
#include "framework/train/freezing.h"
#include "framework/train/run_settings.h"
#include "framework/train/scheduler.h"
#include "framework/train/trainer.h"

namespace higgs {

class ComponentBuilder;
class TextTokenizer;
class AudioTokenizer;
class FeatureExtractor;
class Dataset;
class Collator;
class Sampler;
struct TaskContext;

class RecipeParts {
 public:
  RecipeParts(ComponentBuilder& components, RunSettings run);
  explicit RecipeParts(TaskContext& ctx);

  ComponentBuilder& components() { return components_; }
  const RunSettings& run() const { return run_; }

  /// The recipe's `model`, placed and seeded by the run settings.
  std::shared_ptr<Model> model();
  /// The model's config: the built model's, else what the recipe's model declares without
  /// loading weights (its config.json), else nullopt (no model in the recipe, or no config.json).
  std::optional<Json> model_config();

  /// The recipe's tokenizers and feature extractor; null when the recipe names none.
  std::shared_ptr<TextTokenizer> text_tokenizer();
  std::shared_ptr<AudioTokenizer> audio_tokenizer();
  std::shared_ptr<FeatureExtractor> feature_extractor();

  /// A dataset key ("train_data", "eval_data") with the tokenizers and the model config; the
  /// datasets of "train_mix" / "eval_mix" read as one (MixedDataset) when the recipe mixes.
  std::shared_ptr<Dataset> dataset(const std::string& key);
  /// Whether the recipe has that dataset, as one component or as a mix.
  bool has_dataset(const std::string& key) const;
  /// The recipe's sampler; null when it has none (fixed-size batches).
  std::shared_ptr<Sampler> sampler();
  /// The recipe's `collator` with the model config and the feature extractor.
  std::shared_ptr<Collator> collator();

  std::vector<std::shared_ptr<Adapter>> adapters();
  std::vector<std::shared_ptr<Freezing>> freezing();
  std::shared_ptr<Optimizer> optimizer(const ParameterList& trainable);
  std::shared_ptr<Scheduler> scheduler();  // null when the recipe has none
  /// The recipe's `scorers:` named by their recipe paths (empty when none).
  std::vector<NamedScorer> scorers();
  /// The recipe's `callbacks:`, with the model, tokenizers and scorers.
  std::vector<std::shared_ptr<Callback>> callbacks();
  std::shared_ptr<Trainer> trainer();

 private:
  ComponentBuilder& components_;
  RunSettings run_;
  bool model_built_ = false;
  std::map<std::string, std::shared_ptr<Dataset>> mixed_;
  /// What a dataset at recipe path `path` of split `key` is built from.
  DatasetArgs dataset_args(const std::string& key);
};

}  // namespace higgs
