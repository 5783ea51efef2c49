#include <torch/torch.h>

#include "components/freezing/freezing_util.h"

#include <cctype>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>

#include "framework/config/diagnostics.h"
#include "framework/util/glob.h"

namespace higgs::freezing {

struct NameMatcher::Compiled {
  std::vector<std::regex> regexes;
};

NameMatcher::NameMatcher(std::vector<std::string> patterns, bool regex, const std::string& who)
    : patterns_(std::move(patterns)), regex_(regex), who_(who) {
  auto c = std::make_shared<Compiled>();
  if (regex_)
    for (const auto& p : patterns_) {
      try {
        c->regexes.emplace_back(p, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        throw RecipeError(who_ + ": pattern \"" + p + "\" is not a valid regex (" + e.what() + ")");
      }
    }
  compiled_ = std::move(c);
}

bool NameMatcher::pattern_matches(size_t i, const std::string& name) const {
  // The parameter itself, then each enclosing module ("a.b.c.weight" -> "a.b.c", "a.b", "a").
  std::string part = name;
  while (true) {
    if (regex_ ? std::regex_match(part, compiled_->regexes[i]) : glob_match(patterns_[i], part))
      return true;
    const size_t dot = part.rfind('.');
    if (dot == std::string::npos) return false;
    part.resize(dot);
  }
}

bool NameMatcher::matches(const std::string& name) const {
  for (size_t i = 0; i < patterns_.size(); ++i)
    if (pattern_matches(i, name)) return true;
  return false;
}

void NameMatcher::require_all_match(torch::nn::Module& root) const {
  std::vector<std::string> params, modules;
  for (const auto& p : root.named_parameters(true)) params.push_back(p.key());
  for (const auto& m : root.named_modules("", /*include_self=*/false))
    if (!m.key().empty()) modules.push_back(m.key());
  std::string errors;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    bool hit = false;
    for (const auto& p : params)
      if ((hit = pattern_matches(i, p))) break;
    if (hit) continue;
    // Suggest among module and parameter names with layer indices replaced by '*' too, so a
    // typo in "layers.*.mlp" is compared with "layers.*.mlp", not 28 numbered copies.
    std::set<std::string> candidates(modules.begin(), modules.end());
    for (const auto& p : params) candidates.insert(p);
    for (const auto& m : modules) candidates.insert(summary_group(m + ".x"));
    errors += (errors.empty() ? "" : "\n") + who_ + ": pattern \"" + patterns_[i] +
              "\" matches no parameter or module of the model" +
              suggestion_suffix(patterns_[i],
                                std::vector<std::string>(candidates.begin(), candidates.end()));
  }
  if (!errors.empty()) throw RecipeError(errors);
}

size_t set_trainable(torch::nn::Module& root, const std::function<bool(const std::string&)>& select,
                     bool trainable) {
  size_t n = 0;
  for (auto& p : root.named_parameters(true))
    if (select(p.key())) {
      p.value().requires_grad_(trainable);
      ++n;
    }
  return n;
}

std::string summary_group(const std::string& name) {
  std::string out;
  size_t start = 0, parts = 0;
  const size_t last = name.rfind('.');
  if (last == std::string::npos) return name;
  while (start <= last && parts < 3) {
    size_t dot = name.find('.', start);
    std::string part = name.substr(start, dot - start);
    bool digits = !part.empty();
    for (char ch : part) digits = digits && std::isdigit(static_cast<unsigned char>(ch));
    out += (out.empty() ? "" : ".") + (digits ? std::string("*") : part);
    ++parts;
    start = dot + 1;
    if (dot == last) break;
  }
  return out;
}

std::map<std::string, TrainableCount> count_trainable(torch::nn::Module& root) {
  std::map<std::string, TrainableCount> out;
  for (const auto& p : root.named_parameters(true)) {
    const int64_t n = p.value().numel();
    const bool t = p.value().requires_grad();
    for (const std::string& key : {std::string(), summary_group(p.key())}) {
      out[key].total += n;
      if (t) out[key].trainable += n;
    }
  }
  return out;
}

void log_trainable_summary(torch::nn::Module& root, const std::string& who) {
  auto counts = count_trainable(root);
  const auto& all = counts[""];
  spdlog::info("{}: {} trainable of {} parameters ({:.2f}%)", who, all.trainable, all.total,
               all.total ? 100.0 * double(all.trainable) / double(all.total) : 0.0);
  for (const auto& [group, c] : counts)
    if (!group.empty())
      spdlog::info("  {:<40} {:>12} trainable of {:>12}", group, c.trainable, c.total);
}

}  // namespace higgs::freezing
