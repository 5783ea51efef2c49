#include "components/tasks/recipe_parts.h"

#include "components/audio/audio_tokenizer.h"
#include "components/audio/feature_extractor.h"
#include "components/generation/checks.h"
#include "components/text/text_tokenizer.h"
#include "framework/run/component_builder.h"
#include "framework/run/task.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
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

std::shared_ptr<Dataset> RecipeParts::dataset(const std::string& key) {
  if (!components_.has(key)) return components_.build<Dataset>(key);  // says the task needs it
  return components_.build<Dataset>(
      key, DatasetArgs{text_tokenizer(), audio_tokenizer(), model_config()});
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
