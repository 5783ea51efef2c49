#include <torch/torch.h>

#include "components/freezing/freezing_policies.h"
#include "components/freezing/freezing_util.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"

namespace higgs {

void TrainOnly::bind(Binder& b, Options& o) {
  b.req("patterns", o.patterns,
        "Globs over parameter or module names that stay trainable (e.g. \"*lora_*\"); every other "
        "parameter is frozen.");
  b.opt("regex", o.regex, "Read patterns as full-match regexes instead of globs.");
}

TrainOnly::TrainOnly(const Options& options) : options_(options) {}

void TrainOnly::apply(Model& model) { apply(model.module()); }

void TrainOnly::apply(torch::nn::Module& root) {
  freezing::NameMatcher matcher(options_.patterns, options_.regex, "train_only");
  matcher.require_all_match(root);
  for (auto& p : root.named_parameters(true)) p.value().requires_grad_(matcher.matches(p.key()));
  freezing::log_trainable_summary(root, "train_only");
}

HIGGS_REGISTER(higgs::Freezing, TrainOnly, "train_only",
               "Trains only the parameters selected by patterns and freezes the rest.");

}  // namespace higgs
