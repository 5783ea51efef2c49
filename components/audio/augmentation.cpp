#include "components/audio/augmentation.h"

#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "framework/util/portable_random.h"

namespace higgs {

namespace {
std::string short_number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

HIGGS_DECLARE_KIND(Augmentation, 45,
                   "Changes reference audio at random (noise, reverb, band, speed, gain); "
                   "the target is never augmented.",
                   {"reference_augmentation", true});

void Augmentation::maybe_apply(std::vector<float>& samples, int rate, std::mt19937_64& rng) const {
  if (uniform_between(rng, 0.0, 1.0) < probability()) apply(samples, rate, rng);
}

double uniform_between(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * uniform01(rng);
}

void bind_probability(Binder& b, double& probability) {
  b.opt("probability", probability, "Chance that a reference variant gets this change.")
      .min(0.0)
      .max(1.0);
}

void bind_range(Binder& b, const char* key, std::vector<double>& range, const char* doc) {
  b.opt(key, range, doc);
}

void check_range(const std::vector<double>& range, double min, double max,
                 const std::string& option_path, Diagnostics& diags) {
  if (range.size() != 2 || !(range[0] <= range[1]) || !(range[0] >= min) || !(range[1] <= max))
    diags.error(option_path, "must be [low, high] with " + short_number(min) +
                                 " <= low <= high <= " + short_number(max));
}

}  // namespace higgs
