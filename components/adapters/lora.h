// Adapter "lora": low-rank adapters on named linear layers, saved in PEFT's layout.
//
//   adapters: [{ type: 'lora', r: 16, alpha: 32, dropout: 0.05,
//                target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }]
//
// Every targeted layer must be a higgs::AdaptableLinear. See docs/adapters-and-freezing.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/adapter.h"

namespace torch::nn {
class Module;
}

namespace higgs {

class Binder;
class AdaptableLinearImpl;
class LoraLinear;

class LoraAdapter : public Adapter {
 public:
  struct Options {
    std::vector<std::string> target_modules = {"q_proj", "k_proj", "v_proj", "o_proj"};
    std::vector<std::string> exclude_modules;
    std::vector<std::string> modules_to_save;  // trained in full and saved with the adapter
    int64_t r = 16;
    double alpha = 32.0;
    double dropout = 0.05;
    bool use_rslora = false;
    std::string init = "default";  // "default" or "gaussian"
    std::string bias = "none";
    bool freeze_base = true;
    std::string base_model_name;
    std::string task_type;  // "" (written as null) or "CAUSAL_LM"
  };
  static void bind(Binder& b, Options& o);
  /// The options of a saved PEFT adapter, from DIR/adapter_config.json (r, lora_alpha,
  /// use_rslora, target_modules, exclude_modules, modules_to_save, bias, task_type), with dropout
  /// off: an adapter built from them and attached loads DIR exactly. Regex target or exclude
  /// modules are refused (this adapter matches by name).
  static Options peft_options(const std::string& dir);

  explicit LoraAdapter(const Options& options);
  ~LoraAdapter() override;

  void attach(Model& model) override;
  /// Attaches to a bare module tree (what attach(Model&) does with model.module()).
  void attach(torch::nn::Module& root);
  ParameterList parameters() const override;
  void save(const std::string& dir) const override;
  void load(const std::string& dir) override;
  void merge() override;
  void unmerge() override;

  /// alpha / r, or alpha / sqrt(r) with use_rslora.
  double scale() const;
  /// Names of the adapted modules, in module order.
  std::vector<std::string> adapted_modules() const;
  /// Full names of the modules_to_save modules, in module order.
  std::vector<std::string> saved_modules() const;
  /// The adapter_config.json this adapter writes.
  Json peft_config() const;
  bool merged() const { return merged_; }

 private:
  struct Site {
    std::string name;
    AdaptableLinearImpl* layer = nullptr;
    std::shared_ptr<LoraLinear> lora;
  };
  Json config_targets() const;  // a list of name suffixes, or a regex string

  Options options_;
  torch::nn::Module* root_ = nullptr;
  std::vector<Site> sites_;
  std::vector<std::string> saved_modules_;  // modules_to_save, full names
  ParameterList saved_params_;              // their parameters, full names
  std::vector<std::string> module_names_;   // every module of the model, for matching
  bool merged_ = false;
};

/// PEFT's rule for a target name: a glob ('*', '?') must match the whole module name; a plain
/// name matches a module named exactly so or ending in "." + name ("q_proj", "self_attn.q_proj").
bool lora_target_matches(const std::string& pattern, const std::string& module_name);

}  // namespace higgs
