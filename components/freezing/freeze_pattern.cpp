#include <torch/torch.h>

#include "components/freezing/freezing_policies.h"
#include "components/freezing/freezing_util.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"

namespace higgs {

void FreezePattern::bind(Binder& b, Options& o) {
  b.req("patterns", o.patterns,
        "Globs ('*' matches dots too) over parameter or module names, e.g. \"layers.*.mlp\".");
  b.opt("regex", o.regex, "Read patterns as full-match regexes instead of globs.");
  b.opt("freeze", o.freeze, "true freezes what the patterns select; false makes it trainable.");
}

FreezePattern::FreezePattern(const Options& options) : options_(options) {}

void FreezePattern::apply(Model& model) { apply(model.module()); }

void FreezePattern::apply(torch::nn::Module& root) {
  freezing::NameMatcher matcher(options_.patterns, options_.regex, "freeze_pattern");
  matcher.require_all_match(root);
  freezing::set_trainable(
      root, [&](const std::string& name) { return matcher.matches(name); }, !options_.freeze);
  freezing::log_trainable_summary(root, "freeze_pattern");
}

HIGGS_REGISTER(higgs::Freezing, FreezePattern, "freeze_pattern",
               "Freezes (or unfreezes) parameters selected by glob or regex patterns.");

}  // namespace higgs
