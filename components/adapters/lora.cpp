#include <torch/torch.h>

#include "components/adapters/lora.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>

#include "components/adapters/adaptable_linear.h"
#include "components/adapters/lora_linear.h"
#include "framework/config/diagnostics.h"
#include "framework/config/json_file.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/util/fs.h"
#include "framework/util/glob.h"

namespace higgs {

namespace {

constexpr const char* kPeftPrefix = "base_model.model.";

std::string last_component(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string join(const std::vector<std::string>& items, const std::string& sep, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? sep : "") + items[i];
  if (items.size() > limit) out += sep + "... (" + std::to_string(items.size()) + " in all)";
  return out;
}

// Explains why `pattern` selects no adaptable layer, for an error message.
std::string no_match_message(const std::string& key, const std::string& pattern,
                             torch::nn::Module& root, const std::vector<std::string>& linears) {
  std::string msg = "adapter \"lora\": " + key + " entry \"" + pattern + "\" ";
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    if (item.key().empty() || !lora_target_matches(pattern, item.key())) continue;
    if (dynamic_cast<torch::nn::LinearImpl*>(item.value().get()))
      return msg + "matches \"" + item.key() +
             "\", a torch::nn::Linear: the model must build its linear layers as "
             "higgs::AdaptableLinear for LoRA to wrap them";
    std::string example = pattern + ".*";
    for (const auto& l : linears)
      if (l.rfind(item.key() + ".", 0) == 0 && pattern.find_first_of("*?") == std::string::npos) {
        example = pattern + "." + last_component(l);
        break;
      }
    return msg + "matches \"" + item.key() + "\" (" + item.value()->name() +
           "), which is not a linear layer; LoRA wraps linear layers only, so name them (e.g. \"" +
           example + "\")";
  }
  std::vector<std::string> candidates = linears;
  for (const auto& n : linears) candidates.push_back(last_component(n));
  std::set<std::string> uniq(candidates.begin(), candidates.end());
  msg += "matches no module of the model" +
         suggestion_suffix(pattern, std::vector<std::string>(uniq.begin(), uniq.end()));
  return msg + ". Linear layers of the model: " + join(linears, ", ", 6);
}

// Which modules a PEFT config's target_modules / exclude_modules (a list or a regex) selects.
bool peft_selects(const Json& spec, const std::string& name) {
  if (spec.is_string()) {
    try {
      return std::regex_match(name, std::regex(spec.get<std::string>()));
    } catch (const std::regex_error& e) {
      throw std::runtime_error("adapter_config.json: target_modules " + spec.dump() +
                               " is not a valid regex (" + e.what() + ")");
    }
  }
  if (spec.is_array())
    for (const auto& t : spec)
      if (t.is_string() && (name == t.get<std::string>() ||
                            (name.size() > t.get<std::string>().size() &&
                             name.compare(name.size() - t.get<std::string>().size() - 1,
                                          std::string::npos, "." + t.get<std::string>()) == 0)))
        return true;
  return false;
}

}  // namespace

bool lora_target_matches(const std::string& pattern, const std::string& name) {
  if (pattern.find_first_of("*?") != std::string::npos) return glob_match(pattern, name);
  return name == pattern ||
         (name.size() > pattern.size() &&
          name.compare(name.size() - pattern.size() - 1, std::string::npos, "." + pattern) == 0);
}

void LoraAdapter::bind(Binder& b, Options& o) {
  b.opt("target_modules", o.target_modules,
        "Linear layers to adapt: plain names match a module or a dotted suffix (\"q_proj\"), "
        "globs the whole module name (\"layers.*.self_attn.q_proj\").");
  b.opt("exclude_modules", o.exclude_modules, "Modules to leave out, with the same matching rule.");
  b.opt(
      "modules_to_save", o.modules_to_save,
      "Modules trained in full and saved in the adapter file, as PEFT's modules_to_save (e.g. "
      "\"audio_codebook_embeddings\", \"audio_decoder_proj.audio_lm_head\"); same matching rule.");
  b.opt("r", o.r, "Rank of the low-rank update.").min(1);
  b.opt("alpha", o.alpha,
        "LoRA alpha; the update is scaled by alpha/r (alpha/sqrt(r) with rsLoRA).")
      .min(0.0);
  b.opt("dropout", o.dropout, "Dropout on the adapter's input during training (below 1).")
      .min(0.0)
      .max(1.0);
  b.opt("use_rslora", o.use_rslora, "Rank-stabilised scale alpha/sqrt(r) instead of alpha/r.");
  b.choice("init", o.init, {"default", "gaussian"},
           "A's initialisation: kaiming-uniform like nn.Linear (PEFT's default) or normal(0, 1/r); "
           "B starts at zero.");
  b.choice("bias", o.bias, {"none"}, "Which biases train (only \"none\" is supported).");
  b.opt("freeze_base", o.freeze_base,
        "Freeze every parameter that is not a LoRA weight, as PEFT does (false: only the adapted "
        "layers' own weights are frozen).");
  b.opt("base_model_name", o.base_model_name,
        "Written to adapter_config.json as base_model_name_or_path.");
  b.choice("task_type", o.task_type, {"", "CAUSAL_LM"},
           "PEFT task_type written to adapter_config.json (\"\" is written as null).");
}

LoraAdapter::LoraAdapter(const Options& options) : options_(options) {
  if (options_.r < 1) throw std::invalid_argument("adapter \"lora\": r must be at least 1");
  if (!(options_.dropout >= 0.0 && options_.dropout < 1.0))
    throw std::invalid_argument("adapter \"lora\": dropout must be in [0, 1)");
  if (options_.target_modules.empty())
    throw std::invalid_argument(
        "adapter \"lora\": target_modules is empty; name the linear "
        "layers to adapt, e.g. [\"q_proj\", \"v_proj\"]");
}
LoraAdapter::~LoraAdapter() = default;

double LoraAdapter::scale() const {
  const double r = static_cast<double>(options_.r);
  return options_.use_rslora ? options_.alpha / std::sqrt(r) : options_.alpha / r;
}

void LoraAdapter::attach(Model& model) { attach(model.module()); }

namespace {

using LoraSites = std::vector<std::pair<std::string, AdaptableLinearImpl*>>;

// What attach() found in the model: the layers to adapt, the modules to train in full, and every
// problem with the options (reported together).
struct LoraSelection {
  LoraSites chosen;
  std::vector<std::string> saved;
  std::vector<std::string> errors;
};

// The linear layers target_modules selects and exclude_modules does not; an entry matching
// nothing is an error that says what it does match.
void select_targets(const LoraAdapter::Options& options, torch::nn::Module& root,
                    const std::vector<std::string>& module_names, const LoraSites& linears,
                    LoraSelection& sel) {
  auto& errors = sel.errors;
  auto& chosen = sel.chosen;
  std::vector<std::string> linear_names;
  for (const auto& l : linears) linear_names.push_back(l.first);
  for (const auto& pattern : options.target_modules) {
    bool hit = false;
    for (const auto& n : linear_names) hit = hit || lora_target_matches(pattern, n);
    if (!hit) errors.push_back(no_match_message("target_modules", pattern, root, linear_names));
  }
  for (const auto& pattern : options.exclude_modules) {
    bool hit = false;
    for (const auto& n : module_names) hit = hit || lora_target_matches(pattern, n);
    if (!hit)
      errors.push_back("adapter \"lora\": exclude_modules entry \"" + pattern +
                       "\" matches no module of the model" +
                       suggestion_suffix(pattern, module_names));
  }
  for (const auto& [name, layer] : linears) {
    bool in = false, out = false;
    for (const auto& p : options.target_modules) in = in || lora_target_matches(p, name);
    for (const auto& p : options.exclude_modules) out = out || lora_target_matches(p, name);
    if (in && !out) chosen.emplace_back(name, layer);
  }
  if (errors.empty() && chosen.empty())
    errors.push_back("adapter \"lora\": exclude_modules removes every targeted layer");
}

void check_rank(const LoraAdapter::Options& options, LoraSelection& sel) {
  auto& errors = sel.errors;
  const auto& chosen = sel.chosen;
  // A rank above min(in, out) adds parameters but no expressiveness (the update's rank cannot
  // exceed it), and a mistyped huge r would otherwise allocate hundreds of GB before failing.
  const std::pair<std::string, AdaptableLinearImpl*>* narrowest = nullptr;
  auto rank_limit = [](const AdaptableLinearImpl* l) {
    return std::min(l->in_features(), l->out_features());
  };
  for (const auto& site : chosen)
    if (!narrowest || rank_limit(site.second) < rank_limit(narrowest->second)) narrowest = &site;
  if (narrowest && options.r > rank_limit(narrowest->second)) {
    const auto* l = narrowest->second;
    const std::string limit = std::to_string(rank_limit(l));
    errors.push_back("adapter \"lora\": r = " + std::to_string(options.r) + " exceeds layer \"" +
                     narrowest->first + "\" (" + std::to_string(l->in_features()) + " -> " +
                     std::to_string(l->out_features()) + "), whose update can have rank at most " +
                     limit + "; use r <= " + limit + " or leave that layer out of target_modules");
  }
}

// modules_to_save entries resolved to the outermost matching modules; none may also be adapted.
void select_saved_modules(const LoraAdapter::Options& options,
                          const std::vector<std::string>& module_names, LoraSelection& sel) {
  auto& errors = sel.errors;
  const auto& chosen = sel.chosen;
  // PEFT's ModulesToSaveWrapper: whole modules trained in full.
  std::vector<std::string> saved;
  for (const auto& pattern : options.modules_to_save) {
    bool hit = false;
    for (const auto& n : module_names)
      if (lora_target_matches(pattern, n)) {
        hit = true;
        // A module inside one already chosen is covered by it.
        bool inside = false;
        for (const auto& s : saved) inside = inside || n.rfind(s + ".", 0) == 0;
        if (!inside && std::find(saved.begin(), saved.end(), n) == saved.end()) saved.push_back(n);
      }
    if (!hit)
      errors.push_back("adapter \"lora\": modules_to_save entry \"" + pattern +
                       "\" matches no module of the model" +
                       suggestion_suffix(pattern, module_names));
  }
  // Keep only the outermost of nested modules (their parameters are the outer one's).
  std::vector<std::string> outer;
  for (const auto& n : saved) {
    bool inside = false;
    for (const auto& m : saved) inside = inside || (m != n && n.rfind(m + ".", 0) == 0);
    if (!inside) outer.push_back(n);
  }
  saved = outer;
  for (const auto& s : saved)
    for (const auto& [name, layer] : chosen)
      if (name == s || name.rfind(s + ".", 0) == 0 || s.rfind(name + ".", 0) == 0)
        errors.push_back(
            "adapter \"lora\": \"" + name + "\" is both a LoRA target and in modules_to_save (\"" +
            s + "\"); a module is either adapted or trained in full: remove it from one list");
  sel.saved = saved;
}

}  // namespace

void LoraAdapter::attach(torch::nn::Module& root) {
  if (root_) throw std::logic_error("adapter \"lora\": attach() was already called");
  std::vector<std::pair<std::string, AdaptableLinearImpl*>> linears;
  module_names_.clear();
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    if (item.key().empty()) continue;
    module_names_.push_back(item.key());
    if (auto* l = dynamic_cast<AdaptableLinearImpl*>(item.value().get())) {
      linears.emplace_back(item.key(), l);
    }
  }
  LoraSelection sel;
  select_targets(options_, root, module_names_, linears, sel);
  check_rank(options_, sel);
  select_saved_modules(options_, module_names_, sel);
  const auto& chosen = sel.chosen;
  const auto& saved = sel.saved;
  const auto& errors = sel.errors;
  if (!errors.empty()) throw RecipeError(join(errors, "\n", errors.size()));

  torch::NoGradGuard no_grad;
  const LoraInit init = options_.init == "gaussian" ? LoraInit::kGaussian : LoraInit::kDefault;
  for (const auto& [name, layer] : chosen) {
    auto lora = std::make_shared<LoraLinear>(layer->in_features(), layer->out_features(),
                                             options_.r, scale(), options_.dropout, init);
    lora->to(layer->weight.device());
    layer->attach_adapter(lora);
    layer->weight.requires_grad_(false);
    if (layer->bias.defined()) layer->bias.requires_grad_(false);
    sites_.push_back({name, layer, lora});
  }
  root_ = &root;
  saved_modules_.clear();
  saved_params_.clear();
  for (const auto& m : saved) {
    saved_modules_.push_back(m);
    for (const auto& p : root.named_parameters(true))
      if (p.key().rfind(m + ".", 0) == 0) saved_params_.push_back({p.key(), p.value()});
  }
  auto is_saved_param = [this](const std::string& name) {
    for (const auto& p : saved_params_)
      if (p.name == name) return true;
    return false;
  };
  size_t frozen = 0;
  if (options_.freeze_base) {
    const std::set<std::string> own = adapter_parameter_names(root);
    for (auto& p : root.named_parameters(true))
      if (!own.count(p.key()) && p.value().requires_grad() && !is_saved_param(p.key())) {
        p.value().requires_grad_(false);
        ++frozen;
      }
  }
  for (auto& p : saved_params_) p.tensor.requires_grad_(true);
  int64_t count = 0, saved_count = 0;
  for (const auto& p : parameters()) count += p.tensor.numel();
  for (const auto& p : saved_params_) saved_count += p.tensor.numel();
  count -= saved_count;
  if (!saved_modules_.empty())
    spdlog::info("lora: modules_to_save {} ({} parameters, trained in full)",
                 join(saved_modules_, ", ", 8), saved_count);
  spdlog::info(
      "lora: adapted {} linear layers (r={}, alpha={}, scale={}), {} LoRA parameters; "
      "froze {} other parameter tensors",
      sites_.size(), options_.r, options_.alpha, scale(), count, frozen);
  spdlog::debug("lora: adapted modules: {}", join(adapted_modules(), ", ", 1000));
}

ParameterList LoraAdapter::parameters() const {
  ParameterList out;
  for (const auto& s : sites_) {
    out.push_back({s.name + ".lora_A.weight", s.lora->lora_A->weight});
    out.push_back({s.name + ".lora_B.weight", s.lora->lora_B->weight});
  }
  for (const auto& p : saved_params_) out.push_back(p);
  return out;
}

std::vector<std::string> LoraAdapter::saved_modules() const { return saved_modules_; }

std::vector<std::string> LoraAdapter::adapted_modules() const {
  std::vector<std::string> out;
  for (const auto& s : sites_) out.push_back(s.name);
  return out;
}

void LoraAdapter::merge() {
  if (!root_) throw std::logic_error("adapter \"lora\": merge() before attach()");
  if (merged_) throw std::logic_error("adapter \"lora\": already merged; unmerge() first");
  torch::NoGradGuard no_grad;
  for (auto& s : sites_) {
    at::Tensor& w = s.layer->weight;
    w.copy_((w.to(at::kFloat) + s.lora->delta_weight().to(w.device())).to(w.scalar_type()));
    s.lora->set_enabled(false);
  }
  merged_ = true;
}

void LoraAdapter::unmerge() {
  if (!merged_) throw std::logic_error("adapter \"lora\": unmerge() without a merge()");
  torch::NoGradGuard no_grad;
  for (auto& s : sites_) {
    at::Tensor& w = s.layer->weight;
    w.copy_((w.to(at::kFloat) - s.lora->delta_weight().to(w.device())).to(w.scalar_type()));
    s.lora->set_enabled(true);
  }
  merged_ = false;
}

// PEFT writes target_modules as a list of names, each matching a module or a dotted suffix.
// Each adapted module gets the shortest suffix (from its last name component, never starting at
// a layer index) such that the list selects exactly the adapted modules in this model:
// ["k_proj", "o_proj", "q_proj", "v_proj"], or "mlp.up_proj" when audio_mlp.up_proj is not
// adapted, or "layers.0.self_attn.q_proj" for a subset of layers.
Json LoraAdapter::config_targets() const {
  std::set<std::string> adapted;
  for (const auto& s : sites_) adapted.insert(s.name);
  auto suffix = [](const std::string& name, size_t parts) {
    size_t pos = name.size();
    for (size_t i = 0; i < parts && pos != std::string::npos && pos > 0; ++i)
      pos = name.rfind('.', pos - 1);
    return pos == std::string::npos ? name : name.substr(pos + 1);
  };
  auto numeric = [](const std::string& s) {
    const std::string first = s.substr(0, s.find('.'));
    return !first.empty() && first.find_first_not_of("0123456789") == std::string::npos;
  };
  std::map<std::string, size_t> parts;  // adapted module -> suffix length in components
  for (const auto& n : adapted) parts[n] = 1;
  while (true) {
    std::map<std::string, std::string> chosen;
    for (auto& [n, k] : parts) {
      while (numeric(suffix(n, k)) && suffix(n, k) != n) ++k;
      chosen[n] = suffix(n, k);
    }
    std::set<std::string> too_wide;  // suffixes that also select a module left out
    for (const auto& [n, sfx] : chosen)
      for (const auto& m : module_names_)
        if (!adapted.count(m) && peft_selects(Json::array({sfx}), m)) too_wide.insert(sfx);
    if (too_wide.empty()) {
      std::set<std::string> list;
      for (const auto& kv : chosen) list.insert(kv.second);
      return Json(std::vector<std::string>(list.begin(), list.end()));
    }
    bool grew = false;
    for (auto& [n, k] : parts)
      if (too_wide.count(chosen[n]) && chosen[n] != n) ++k, grew = true;
    if (!grew) {  // only when a full name is the suffix of another module's name
      std::vector<std::string> names(adapted.begin(), adapted.end());
      return Json(names);
    }
  }
}

Json LoraAdapter::peft_config() const {
  Json c = Json::object();
  // Integral alphas are written as integers, as PEFT configs usually hold them.
  Json alpha = options_.alpha == std::floor(options_.alpha) ? Json(int64_t(options_.alpha))
                                                            : Json(options_.alpha);
  c["alpha_pattern"] = Json::object();
  c["base_model_name_or_path"] = options_.base_model_name;
  c["bias"] = options_.bias;
  c["fan_in_fan_out"] = false;
  c["inference_mode"] = true;
  c["init_lora_weights"] = options_.init == "gaussian" ? Json("gaussian") : Json(true);
  c["layers_pattern"] = nullptr;
  c["layers_to_transform"] = nullptr;
  c["lora_alpha"] = alpha;
  c["lora_dropout"] = options_.dropout;
  c["modules_to_save"] = saved_modules_.empty() ? Json(nullptr) : Json(saved_modules_);
  c["peft_type"] = "LORA";
  c["r"] = options_.r;
  c["rank_pattern"] = Json::object();
  c["revision"] = nullptr;
  c["target_modules"] = config_targets();
  c["task_type"] = options_.task_type.empty() ? Json(nullptr) : Json(options_.task_type);
  c["use_rslora"] = options_.use_rslora;
  return c;
}

void LoraAdapter::save(const std::string& dir) const {
  if (!root_) throw std::logic_error("adapter \"lora\": save() before attach()");
  std::filesystem::create_directories(dir);
  std::map<std::string, at::Tensor> tensors;
  for (const auto& p : parameters()) tensors[kPeftPrefix + p.name] = p.tensor.detach();
  tensor_io::save_safetensors(dir + "/adapter_model.safetensors", tensors, {{"format", "pt"}});
  write_file_atomic(dir + "/adapter_config.json", peft_config().dump(2) + "\n");
}

LoraAdapter::Options LoraAdapter::peft_options(const std::string& dir) {
  const std::string path = dir + "/adapter_config.json";
  if (!std::filesystem::exists(path))
    throw std::runtime_error(dir + ": no adapter_config.json (expected a PEFT LoRA directory)");
  const Json c = read_json_file(path);
  if (c.value("peft_type", "") != "LORA")
    throw std::runtime_error(path + ": peft_type is not \"LORA\"");
  auto names = [&](const char* key) {
    const Json v = c.value(key, Json());
    if (v.is_null()) return std::vector<std::string>{};
    if (!v.is_array())
      throw std::runtime_error(path + ": " + key + " " + v.dump() +
                               " is a regex; it is not supported here: name the adapter in the "
                               "recipe with its target_modules instead");
    return v.get<std::vector<std::string>>();
  };
  Options o;
  o.r = c.value("r", o.r);
  o.alpha = c.value("lora_alpha", o.alpha);
  o.use_rslora = c.value("use_rslora", false);
  o.dropout = 0.0;
  o.target_modules = names("target_modules");
  o.exclude_modules = names("exclude_modules");
  o.modules_to_save = names("modules_to_save");
  o.bias = c.value("bias", o.bias);
  o.base_model_name = c.value("base_model_name_or_path", Json("")).is_string()
                          ? c.value("base_model_name_or_path", std::string())
                          : std::string();
  o.task_type =
      c.value("task_type", Json("")).is_string() ? c.value("task_type", std::string()) : "";
  return o;
}

void LoraAdapter::load(const std::string& dir) {
  if (!root_) throw std::logic_error("adapter \"lora\": load() before attach()");
  if (merged_) throw std::logic_error("adapter \"lora\": load() while merged; unmerge() first");
  const std::string config_path = dir + "/adapter_config.json";
  const Json c = read_json_file(config_path);
  auto mismatch = [&](const std::string& key, const std::string& saved, const std::string& ours) {
    return std::runtime_error(config_path + ": " + key + " is " + saved + " but this adapter has " +
                              ours + "; set the recipe's lora options to match the saved adapter");
  };
  if (c.value("peft_type", "") != "LORA")
    throw std::runtime_error(config_path + ": peft_type is not \"LORA\"");
  if (c.value("r", int64_t(-1)) != options_.r)
    throw mismatch("r", c.contains("r") ? c["r"].dump() : "absent", std::to_string(options_.r));
  if (!c.contains("lora_alpha") || std::abs(c["lora_alpha"].get<double>() - options_.alpha) > 1e-9)
    throw mismatch("lora_alpha", c.value("lora_alpha", Json()).dump(), Json(options_.alpha).dump());
  if (c.value("use_rslora", false) != options_.use_rslora)
    throw mismatch("use_rslora", Json(c.value("use_rslora", false)).dump(),
                   Json(options_.use_rslora).dump());
  const Json targets = c.value("target_modules", Json());
  const Json excludes = c.value("exclude_modules", Json());
  std::vector<std::string> extra, missing;
  const auto adapted = adapted_modules();
  const std::set<std::string> ours(adapted.begin(), adapted.end());
  for (const auto& n : module_names_) {
    bool theirs = peft_selects(targets, n) && !peft_selects(excludes, n);
    if (theirs && !ours.count(n)) extra.push_back(n);
    if (!theirs && ours.count(n)) missing.push_back(n);
  }
  if (!extra.empty() || !missing.empty())
    throw std::runtime_error(config_path + ": target_modules " + targets.dump() +
                             " select other layers than this "
                             "adapter's" +
                             (extra.empty() ? "" : "; only saved: " + join(extra, ", ", 4)) +
                             (missing.empty() ? "" : "; only here: " + join(missing, ", ", 4)));

  const Json theirs_saved = c.value("modules_to_save", Json());
  std::vector<std::string> saved_mismatch;
  for (const auto& m : saved_modules_)
    if (!peft_selects(theirs_saved, m)) saved_mismatch.push_back("only here: " + m);
  if (theirs_saved.is_array())
    for (const auto& t : theirs_saved) {
      bool hit = false;
      for (const auto& m : saved_modules_) hit = hit || peft_selects(Json::array({t}), m);
      if (!hit) saved_mismatch.push_back("only saved: " + t.dump());
    }
  if (!saved_mismatch.empty())
    throw std::runtime_error(config_path + ": modules_to_save " + theirs_saved.dump() +
                             " differ from this adapter's (" + join(saved_mismatch, "; ", 4) +
                             "); set the recipe's lora modules_to_save to match");

  const std::string weights_path = dir + "/adapter_model.safetensors";
  auto saved = tensor_io::SafetensorsFile::open(weights_path).tensors();
  std::set<std::string> unused;
  for (const auto& kv : saved) unused.insert(kv.first);
  torch::NoGradGuard no_grad;
  for (const auto& p : parameters()) {
    const std::string key = kPeftPrefix + p.name;
    auto it = saved.find(key);
    if (it == saved.end()) throw std::runtime_error(weights_path + ": lacks \"" + key + "\"");
    if (!it->second.sizes().equals(p.tensor.sizes()))
      throw std::runtime_error(weights_path + ": \"" + key + "\" has shape " +
                               c10::str(it->second.sizes()) + ", this adapter has " +
                               c10::str(p.tensor.sizes()));
    p.tensor.copy_(it->second);
    unused.erase(key);
  }
  if (!unused.empty())
    throw std::runtime_error(weights_path + ": holds tensors this adapter does not have: " +
                             join(std::vector<std::string>(unused.begin(), unused.end()), ", ", 4));
  spdlog::info("lora: loaded {} tensors from {}", saved.size(), dir);
}

HIGGS_REGISTER(higgs::Adapter, LoraAdapter, "lora",
               "LoRA on named linear layers, saved in PEFT's layout (adapter_config.json + "
               "adapter_model.safetensors).");

}  // namespace higgs
