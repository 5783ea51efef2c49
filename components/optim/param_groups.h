// Parameter groups shared by the optimizers: which trainable parameters get weight decay.
//
// Decay is switched off for parameters whose full name matches one of the `no_decay` globs
// (norm scales, biases and embedding tables by default), as HF Trainer and most LLM recipes do:
// decaying a norm scale towards 0 or an embedding row that is rarely seen only hurts.
// Optional `lr_multipliers` ({"*lora_B*": 16.0}) give matching parameters their own lr (LoRA+).
#pragma once

#include <string>
#include <vector>

#include "framework/train/optimizer.h"

namespace higgs {

/// Default `no_decay` globs: norm scales, biases, embedding tables.
const std::vector<std::string>& default_no_decay_patterns();

/// One group of parameters updated with the same hyperparameters.
struct ParamGroup {
  std::string label;  // "decay" or "no_decay", then " <glob>" for an lr multiplier group
  double weight_decay = 0.0;
  double lr_multiplier = 1.0;  // the group's lr is the optimizer's lr times this
  ParameterList params;
};

/// (glob, multiplier) pairs in recipe order; the first glob matching a name wins.
using LrMultipliers = std::vector<std::pair<std::string, double>>;

/// Reads the `lr_multipliers` option (a JSON object glob -> number >= 0); throws naming
/// `component` when it is not one.
LrMultipliers parse_lr_multipliers(const Json& option, const std::string& component);

/// Splits parameters into a "decay" group (weight_decay) and a "no_decay" group (0), each again
/// split by lr multiplier (groups without a multiplier first, then one pair per glob in order),
/// keeping the input order inside each group; empty groups are left out. Throws on duplicate
/// names or on one tensor listed twice under two names (tied weights must be listed once).
std::vector<ParamGroup> make_decay_groups(const ParameterList& params, double weight_decay,
                                          const std::vector<std::string>& no_decay_patterns,
                                          const LrMultipliers& lr_multipliers = {});

/// Throws a clear error when an optimizer is built over no parameters (everything frozen).
/// `component` names the optimizer in the message.
void check_not_empty(const ParameterList& params, const std::string& component);

/// Checks that a loaded optimizer state only names known parameters; throws listing the
/// strangers (a state from another recipe) so a resume never silently drops moments.
void check_state_names(const TensorMap& state, const std::vector<ParamGroup>& groups,
                       const std::vector<std::string>& suffixes, const std::string& component);

}  // namespace higgs
