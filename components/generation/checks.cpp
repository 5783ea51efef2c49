#include "components/generation/checks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace higgs::generation {

double expected_seconds(const std::string& text, double chars_per_second) {
  int64_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if ((c & 0xC0) != 0x80) ++n;  // one code point of another script
    } else if (std::isalnum(c)) {
      ++n;
    }
  }
  return double(n) / chars_per_second;
}

double silence_ratio(const std::vector<float>& samples, int sample_rate, double threshold_db) {
  const size_t win = std::max<size_t>(1, static_cast<size_t>(sample_rate) / 50);
  const double thr = std::pow(10.0, threshold_db / 20.0);
  size_t windows = 0, silent = 0;
  for (size_t start = 0; start + win <= samples.size(); start += win) {
    double e = 0;
    for (size_t i = start; i < start + win; ++i) e += double(samples[i]) * samples[i];
    ++windows;
    if (std::sqrt(e / double(win)) < thr) ++silent;
  }
  return windows ? double(silent) / double(windows) : 1.0;
}

namespace {
std::map<std::string, ScorerFactory>& scorers() {
  static auto* m = new std::map<std::string, ScorerFactory>();  // leaked on purpose
  return *m;
}
}  // namespace

void register_scorer(const std::string& name, ScorerFactory factory) {
  if (!scorers().emplace(name, std::move(factory)).second)
    throw std::runtime_error("generation scorer \"" + name + "\" is registered twice");
}

std::vector<std::string> scorer_names() {
  std::vector<std::string> out;
  for (const auto& kv : scorers()) out.push_back(kv.first);
  return out;
}

std::unique_ptr<GenerationScorer> make_scorer(const std::string& name, const Json& options) {
  auto it = scorers().find(name);
  if (it == scorers().end()) {
    std::string known;
    for (const auto& n : scorer_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::runtime_error("unknown generation scorer \"" + name + "\" (registered: " +
                             (known.empty() ? "none; register one with register_scorer" : known) +
                             ")");
  }
  return it->second(options);
}

Json basic_checks(const std::string& text, const std::vector<float>& samples, int sample_rate) {
  const double dur = sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0;
  const double expected = expected_seconds(text);
  return Json{{"duration_s", dur},
              {"expected_s", expected},
              {"duration_ratio", expected > 0 ? dur / expected : 0.0},
              {"silence_ratio", silence_ratio(samples, sample_rate)}};
}

}  // namespace higgs::generation
