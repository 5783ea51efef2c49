// Shared by the freezing policies: selecting parameters by module or parameter name, setting
// requires_grad, and the trainable/total summary each policy logs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace higgs::freezing {

/// Globs ('*' matches dots too) or ECMAScript regexes, each full-matched against a parameter
/// name or the name of any module that contains it: "layers.*.mlp" selects every parameter
/// under each layer's mlp, "*lora_*" every LoRA weight.
class NameMatcher {
 public:
  /// Throws RecipeError naming `who` and the pattern when a regex does not compile.
  NameMatcher(std::vector<std::string> patterns, bool regex, const std::string& who);
  bool matches(const std::string& param_name) const;
  /// Whether pattern `i` selects `param_name`.
  bool pattern_matches(size_t i, const std::string& param_name) const;
  /// Throws RecipeError listing every pattern that selects no parameter of `root`, each with a
  /// did-you-mean among the module names.
  void require_all_match(torch::nn::Module& root) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  struct Compiled;
  std::vector<std::string> patterns_;
  bool regex_;
  std::string who_;
  std::shared_ptr<const Compiled> compiled_;
};

/// Sets requires_grad of every parameter whose full name satisfies `select`; returns how many
/// parameter tensors were selected.
size_t set_trainable(torch::nn::Module& root, const std::function<bool(const std::string&)>& select,
                     bool trainable);

/// The module a parameter belongs to, without layer indices and at most three levels deep:
/// "layers.3.self_attn.q_proj.weight" -> "layers.*.self_attn".
std::string summary_group(const std::string& param_name);

struct TrainableCount {
  int64_t trainable = 0, total = 0;
};
/// Trainable and total element counts, overall ("") and per summary_group.
std::map<std::string, TrainableCount> count_trainable(torch::nn::Module& root);

/// Logs "who: N trainable of M parameters (x%)" and one line per summary group.
void log_trainable_summary(torch::nn::Module& root, const std::string& who);

}  // namespace higgs::freezing
