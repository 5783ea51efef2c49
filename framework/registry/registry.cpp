#include "framework/registry/registry.h"

#include <algorithm>
#include <set>

namespace higgs {

namespace {

struct Registries {
  std::map<std::string, KindRegistry*> kinds;
  std::map<std::string, KindDeclaration> declared;
  std::set<std::string> reported_undeclared;
  std::vector<std::string> errors;
  std::string origin_override;
};

// Leaked so registrations from static initialisers and plugins never race destruction.
Registries& registries() {
  static Registries* r = new Registries;
  return *r;
}

}  // namespace

bool declare_kind(KindDeclaration declaration) {
  auto& regs = registries();
  if (regs.declared.count(declaration.kind)) {
    regs.errors.push_back("kind \"" + declaration.kind + "\" is declared twice");
    return false;
  }
  for (const auto& [kind, other] : regs.declared)
    for (const auto& k : other.recipe_keys)
      for (const auto& mine : declaration.recipe_keys)
        if (k.key == mine.key) {
          regs.errors.push_back("recipe key \"" + k.key + "\" is declared by kinds \"" + kind +
                                "\" and \"" + declaration.kind + "\"");
          return false;
        }
  const std::string kind = declaration.kind;
  regs.declared.emplace(kind, std::move(declaration));
  return true;
}

std::vector<KindDeclaration> declared_kinds() {
  std::vector<KindDeclaration> out;
  for (const auto& [k, d] : registries().declared) out.push_back(d);
  std::stable_sort(out.begin(), out.end(), [](const KindDeclaration& a, const KindDeclaration& b) {
    return a.order < b.order;
  });
  return out;
}

std::vector<std::string> component_kinds() {
  std::vector<std::string> out;
  for (const auto& d : declared_kinds()) out.push_back(d.kind);
  return out;
}

std::string kind_description(const std::string& kind) {
  const auto& declared = registries().declared;
  auto it = declared.find(kind);
  return it == declared.end() ? "" : it->second.description;
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
    // Made on first use: a component's static initialiser may run before its kind's
    // declaration; registry_errors() reports kinds that stay undeclared.
    it = regs.kinds.emplace(kind, new KindRegistry(kind)).first;
  }
  return *it->second;
}

std::vector<std::string>& registry_errors() {
  auto& regs = registries();
  for (const auto& [kind, reg] : regs.kinds)
    if (!reg->entries().empty() && !regs.declared.count(kind) &&
        regs.reported_undeclared.insert(kind).second)
      regs.errors.push_back("component \"" + reg->entries().begin()->first + "\" (" +
                            reg->entries().begin()->second.origin + ") is of kind \"" + kind +
                            "\", which no one declared (HIGGS_DECLARE_KIND)");
  return regs.errors;
}

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
