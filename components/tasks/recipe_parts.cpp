#include "components/tasks/recipe_parts.h"

#include "components/audio/audio_tokenizer.h"
#include "components/audio/augmentation.h"
#include "components/audio/feature_extractor.h"
#include "components/generation/checks.h"
#include "components/text/text_tokenizer.h"
#include "framework/run/component_builder.h"
#include "framework/run/task.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "framework/train/mixed_dataset.h"
#include "framework/train/sampler.h"
#include "framework/train/scheduler.h"

namespace higgs {

RecipeParts::RecipeParts(ComponentBuilder& components, RunSettings run)
    : components_(components), run_(std::move(run)) {}

RecipeParts::RecipeParts(TaskContext& ctx) : RecipeParts(ctx.components, ctx.run) {}

std::shared_ptr<Model> RecipeParts::model() {
  auto m = components_.build<Model>("model", run_);
  model_built_ = true;
  return m;
}

std::optional<Json> RecipeParts::model_config() {
  if (model_built_) return model()->config();
  if (auto declared = components_.declared_config("model")) return declared->config;
  return std::nullopt;
}

std::shared_ptr<TextTokenizer> RecipeParts::text_tokenizer() {
  return components_.build_optional<TextTokenizer>("text_tokenizer");
}

std::shared_ptr<AudioTokenizer> RecipeParts::audio_tokenizer() {
  return components_.build_optional<AudioTokenizer>("audio_tokenizer", run_);
}

std::shared_ptr<FeatureExtractor> RecipeParts::feature_extractor() {
  return components_.build_optional<FeatureExtractor>("feature_extractor");
}

namespace {
// "train_data" -> "train_mix": the list key that may hold the split's datasets instead.
std::string mix_key(const std::string& key) {
  const auto cut = key.rfind("_data");
  return cut == std::string::npos ? "" : key.substr(0, cut) + "_mix";
}
}  // namespace

bool RecipeParts::has_dataset(const std::string& key) const {
  return components_.has(key) || !components_.list_paths(mix_key(key)).empty();
}

std::shared_ptr<Dataset> RecipeParts::dataset(const std::string& key) {
  const auto mixed = components_.list_paths(mix_key(key));
  if (components_.has(key) && !mixed.empty())
    throw RecipeError(mix_key(key) + ": give " + key + " or " + mix_key(key) + ", not both");
  if (!components_.has(key) && !mixed.empty()) {
    auto& built = mixed_[key];
    if (built) return built;
    std::vector<MixedDataset::Member> members;
    for (const auto& path : mixed) {
      auto ds = components_.build<Dataset>(path, dataset_args(key));
      const std::string name = ds->name();
      members.push_back({name.empty() ? path : name, ds});
    }
    try {
      built = std::make_shared<MixedDataset>(std::move(members));
    } catch (const std::invalid_argument& e) {
      throw RecipeError(mix_key(key) + ": " + e.what());
    }
    return built;
  }
  if (!components_.has(key)) return components_.build<Dataset>(key);  // says the task needs it
  return components_.build<Dataset>(key, dataset_args(key));
}

DatasetArgs RecipeParts::dataset_args(const std::string& key) {
  DatasetArgs args{text_tokenizer(), audio_tokenizer(), model_config()};
  args.seed = run_.seed;
  // Only what is trained on gets augmented references; evaluation measures clean ones.
  if (key == "train_data" && !components_.list_paths("reference_augmentation").empty()) {
    args.reference_augmentation = components_.build_list<Augmentation>("reference_augmentation");
    args.augmentation_identity =
        components_.plan().resolved.value("reference_augmentation", Json::array()).dump();
  }
  return args;
}

std::shared_ptr<Sampler> RecipeParts::sampler() {
  return components_.build_optional<Sampler>("sampler");
}

std::shared_ptr<Collator> RecipeParts::collator() {
  if (!components_.has("collator")) return components_.build<Collator>("collator");
  return components_.build<Collator>(
      "collator", CollatorArgs{model_config(), feature_extractor(), run_.placement.is_main()});
}

std::vector<std::shared_ptr<Adapter>> RecipeParts::adapters() {
  return components_.build_list<Adapter>("adapters");
}

std::vector<std::shared_ptr<Freezing>> RecipeParts::freezing() {
  return components_.build_list<Freezing>("freezing");
}

std::shared_ptr<Optimizer> RecipeParts::optimizer(const ParameterList& trainable) {
  return components_.build<Optimizer>("optimizer", trainable);
}

std::shared_ptr<Scheduler> RecipeParts::scheduler() {
  return components_.build_optional<Scheduler>("scheduler");
}

std::vector<NamedScorer> RecipeParts::scorers() { return generation::recipe_scorers(components_); }

std::vector<std::shared_ptr<Callback>> RecipeParts::callbacks() {
  if (components_.list_paths("callbacks").empty()) return {};
  CallbackArgs args{model(), text_tokenizer(), audio_tokenizer(), scorers(), run_};
  return components_.build_list<Callback>("callbacks", args);
}

std::shared_ptr<Trainer> RecipeParts::trainer() { return components_.build<Trainer>("trainer"); }

}  // namespace higgs
