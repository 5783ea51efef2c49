#include "framework/registry/registry.h"

#include <algorithm>

namespace higgs {

namespace {

struct Registries {
  std::map<std::string, KindRegistry*> kinds;
  std::vector<std::string> errors;
  std::string origin_override;
};

// Leaked so registrations from static initialisers and plugins never race destruction.
Registries& registries() {
  static Registries* r = [] {
    auto* regs = new Registries;
    for (const auto& k : component_kinds()) regs->kinds[k] = new KindRegistry(k);
    return regs;
  }();
  return *r;
}

const std::vector<std::pair<std::string, std::string>>& kind_table() {
  static const auto* table = new std::vector<std::pair<std::string, std::string>>{
      {"dataset", "Produces training examples (train_data, eval_data)."},
      {"collator", "Turns a list of examples into a batch."},
      {"model", "The network trained and its loss."},
      {"text_tokenizer", "Turns text into token ids."},
      {"audio_tokenizer", "Turns audio into discrete codes and back."},
      {"feature_extractor", "Computes features from audio (e.g. Whisper log-mel)."},
      {"adapter", "Adds trainable parameters to the model (e.g. LoRA)."},
      {"freezing", "Decides which parameters are trained."},
      {"optimizer", "Updates trainable parameters from their gradients."},
      {"scheduler", "Sets the learning rate at each step."},
      {"callback", "Observes training (metrics, early stopping, samples)."},
      {"scorer", "Scores generated speech (e.g. WER through an ASR model, speaker similarity)."},
      {"trainer", "Runs the training loop."},
      {"task", "What `higgs-run RECIPE` does (train, evaluate, data_check, ...)."},
  };
  return *table;
}

}  // namespace

const std::vector<std::string>& component_kinds() {
  static const auto* kinds = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& [k, d] : kind_table()) v->push_back(k);
    return v;
  }();
  return *kinds;
}

std::string kind_description(const std::string& kind) {
  for (const auto& [k, d] : kind_table())
    if (k == kind) return d;
  return "";
}

bool KindRegistry::add(RegistryEntry entry) {
  auto& regs = registries();
  if (!regs.origin_override.empty()) entry.origin = regs.origin_override;
  // __FILE__ is relative to the source tree (-fmacro-prefix-map), except when ccache's base_dir
  // has already rewritten it relative to the build directory ("../components/...").
  while (entry.origin.rfind("../", 0) == 0) entry.origin.erase(0, 3);
  auto it = entries_.find(entry.name);
  if (it != entries_.end()) {
    regs.errors.push_back("duplicate " + kind_ + " \"" + entry.name + "\": registered by " +
                          it->second.origin + " and by " + entry.origin);
    return false;
  }
  entries_.emplace(entry.name, std::move(entry));
  return true;
}

const RegistryEntry* KindRegistry::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> KindRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, e] : entries_) out.push_back(n);
  return out;
}

KindRegistry& registry(const std::string& kind) {
  auto& regs = registries();
  auto it = regs.kinds.find(kind);
  if (it == regs.kinds.end()) {
    // Unknown kinds are a programming error in a component; keep a registry so startup can
    // report it instead of crashing in a static initialiser.
    regs.errors.push_back("component registered under unknown kind \"" + kind + "\"");
    it = regs.kinds.emplace(kind, new KindRegistry(kind)).first;
  }
  return *it->second;
}

std::vector<std::string>& registry_errors() { return registries().errors; }

void set_registration_origin_override(const std::string& origin) {
  registries().origin_override = origin;
}

ComponentDescription describe_component(const RegistryEntry& entry) {
  ComponentDescription d;
  d.entry = &entry;
  auto bound = entry.make_bound();
  OptionDescriber desc;
  bound.visit(desc);
  desc.finish();
  d.fields = desc.fields;
  for (const auto& r : desc.refs) {
    d.defaults.push_back(value_to_json(r));
    d.types.push_back(type_name(r));
  }
  return d;
}

Json component_schema(const RegistryEntry& entry) {
  auto bound = entry.make_bound();
  OptionDescriber desc;
  bound.visit(desc);
  desc.finish();
  Json props = Json::object();
  props["type"] = {{"const", entry.name}, {"description", entry.description}};
  Json required = Json::array({"type"});
  for (size_t i = 0; i < desc.fields.size(); ++i) {
    props[desc.fields[i].key] = field_schema(desc.fields[i], desc.refs[i]);
    if (desc.fields[i].required) required.push_back(desc.fields[i].key);
  }
  Json s = Json::object();
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  s["title"] = entry.kind + "/" + entry.name;
  s["description"] = entry.description;
  s["type"] = "object";
  s["properties"] = props;
  s["required"] = required;
  s["additionalProperties"] = false;
  return s;
}

}  // namespace higgs
