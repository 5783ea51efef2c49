#include "components/optim/param_groups.h"

#include <map>
#include <set>
#include <stdexcept>

#include "framework/util/glob.h"

namespace higgs {

const std::vector<std::string>& default_no_decay_patterns() {
  // "*norm*": input_layernorm, post_attention_layernorm, the final "norm.weight", layer_norm.
  // "*embed*": embed_tokens, audio_codebook_embeddings (and PEFT's lora_embedding_A/B).
  static const auto* patterns = new std::vector<std::string>{"bias", "*.bias", "*norm*", "*embed*"};
  return *patterns;
}

LrMultipliers parse_lr_multipliers(const Json& option, const std::string& component) {
  LrMultipliers out;
  if (option.is_null()) return out;
  const std::string where = "optimizer \"" + component + "\": lr_multipliers";
  if (!option.is_object())
    throw std::invalid_argument(where + " must be an object {\"<glob>\": <multiplier>}, got " +
                                std::string(option.type_name()));
  for (auto it = option.begin(); it != option.end(); ++it) {
    if (!it.value().is_number() || it.value().get<double>() < 0)
      throw std::invalid_argument(where + "[\"" + it.key() + "\"] must be a number >= 0, got " +
                                  it.value().dump());
    out.emplace_back(it.key(), it.value().get<double>());
  }
  return out;
}

std::vector<ParamGroup> make_decay_groups(const ParameterList& params, double weight_decay,
                                          const std::vector<std::string>& no_decay_patterns,
                                          const LrMultipliers& lr_multipliers) {
  // Slot 2*m is the decay group of multiplier m (0 = none), slot 2*m+1 its no-decay group.
  std::vector<ParamGroup> slots;
  for (size_t m = 0; m <= lr_multipliers.size(); ++m) {
    const std::string suffix = m == 0 ? "" : " " + lr_multipliers[m - 1].first;
    const double mult = m == 0 ? 1.0 : lr_multipliers[m - 1].second;
    slots.push_back({"decay" + suffix, weight_decay, mult, {}});
    slots.push_back({"no_decay" + suffix, 0.0, mult, {}});
  }
  std::set<std::string> names;
  std::map<const void*, std::string> impls;
  for (const auto& p : params) {
    if (!p.tensor.defined())
      throw std::invalid_argument("trainable parameter \"" + p.name + "\" is an undefined tensor");
    if (!names.insert(p.name).second)
      throw std::invalid_argument("trainable parameter \"" + p.name +
                                  "\" is listed twice; each parameter must appear once");
    auto [it, fresh] = impls.emplace(p.tensor.unsafeGetTensorImpl(), p.name);
    if (!fresh)
      throw std::invalid_argument("trainable parameters \"" + it->second + "\" and \"" + p.name +
                                  "\" are the same tensor (tied weights); list it once");
    bool skip = false;
    for (const auto& pat : no_decay_patterns) skip = skip || glob_match(pat, p.name);
    size_t m = 0;
    for (size_t i = 0; i < lr_multipliers.size() && m == 0; ++i)
      if (glob_match(lr_multipliers[i].first, p.name)) m = i + 1;
    slots[2 * m + (skip ? 1 : 0)].params.push_back(p);
  }
  std::vector<ParamGroup> groups;
  for (auto& g : slots)
    if (!g.params.empty()) groups.push_back(std::move(g));
  return groups;
}

void check_not_empty(const ParameterList& params, const std::string& component) {
  if (params.empty())
    throw std::runtime_error("optimizer \"" + component +
                             "\": there are no trainable parameters; check the recipe's "
                             "\"freezing\" and \"adapters\" (everything is frozen)");
}

void check_state_names(const TensorMap& state, const std::vector<ParamGroup>& groups,
                       const std::vector<std::string>& suffixes, const std::string& component) {
  std::set<std::string> known;
  for (const auto& g : groups)
    for (const auto& p : g.params)
      for (const auto& s : suffixes) known.insert(p.name + s);
  std::string strangers;
  size_t count = 0;
  for (const auto& [key, value] : state) {
    if (known.count(key)) continue;
    if (count++ < 5) strangers += (strangers.empty() ? "" : ", ") + ("\"" + key + "\"");
  }
  if (count == 0) return;
  if (count > 5) strangers += " and " + std::to_string(count - 5) + " more";
  throw std::runtime_error("optimizer \"" + component + "\": the saved state has " +
                           std::to_string(count) + " entries this run does not know (" + strangers +
                           "); it was saved with other trainable parameters or another "
                           "optimizer. Resume with the recipe that wrote it, or start fresh.");
}

}  // namespace higgs
