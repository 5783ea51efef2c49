#include "components/generation/checks.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>

#include "framework/run/component_builder.h"

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

std::vector<NamedScorer> recipe_scorers(ComponentBuilder& components) {
  std::vector<NamedScorer> out;
  for (const auto& path : components.list_paths("scorers"))
    out.push_back({path, components.build<GenerationScorer>(path)});
  return out;
}

Json run_scorers(const std::vector<NamedScorer>& scorers, const ScoredSample& sample) {
  Json out = Json::object();
  std::map<std::string, std::string> owner;  // metric -> scorer that gave it
  for (const auto& ns : scorers) {
    Json metrics;
    try {
      metrics = ns.scorer->score(sample);
    } catch (const std::exception& e) {
      out["errors"][ns.name] = e.what();
      continue;
    }
    if (!metrics.is_object()) {
      out["errors"][ns.name] = "returned " + metrics.dump() + " instead of a JSON object";
      continue;
    }
    // A clash is a configuration mistake, but a long training run must not die of it at its
    // first listen_samples step: the clashing metric is dropped and the clash reported.
    std::string clash;
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      if (it.key() == "errors") {
        clash += (clash.empty() ? "" : "; ") +
                 std::string("gives a metric named \"errors\", which is reserved for failures");
        continue;
      }
      auto [pos, fresh] = owner.emplace(it.key(), ns.name);
      if (!fresh) {
        clash += (clash.empty() ? "" : "; ") + std::string("gives the metric \"") + it.key() +
                 "\" that " + pos->second + " gave (dropped here; rename one)";
        continue;
      }
      out[it.key()] = it.value();
    }
    if (!clash.empty()) out["errors"][ns.name] = clash;
  }
  return out;
}

Json mean_scores(const std::vector<Json>& reports) {
  std::map<std::string, std::pair<double, int64_t>> acc;
  for (const auto& r : reports) {
    auto it = r.find("scores");
    if (it == r.end() || !it->is_object()) continue;
    for (auto m = it->begin(); m != it->end(); ++m)
      if (m.value().is_number()) {
        auto& a = acc[m.key()];
        a.first += m.value().get<double>();
        a.second += 1;
      }
  }
  Json mean = Json::object();
  for (const auto& [k, a] : acc) mean[k] = {{"mean", a.first / double(a.second)}, {"n", a.second}};
  return mean;
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
