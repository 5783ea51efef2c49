// Kind `augmentation`: a random change to a reference clip (gain, noise, telephone band, speed,
// tempo, reverb). The reference only conditions the voice, so varying its recording conditions
// teaches the model to clone the voice, not the room or the microphone; the target is what the
// model learns to produce and is never augmented (a noisy target would teach it to speak noise).
//
//   reference_augmentation: [ { type: 'noise', snr_db: [10, 30], probability: 0.5 },
//                             { type: 'reverb', rt60_seconds: [0.2, 0.8] } ]
#pragma once

#include <random>
#include <string>
#include <vector>

#include "framework/config/options.h"

namespace higgs {

class Diagnostics;

class Augmentation {
 public:
  static constexpr const char* kKind = "augmentation";
  virtual ~Augmentation() = default;
  /// Applies the change with its probability. Every random choice comes from `rng` (one draw
  /// decides whether it applies, whatever the outcome), so a clip's variant is fixed by its seed.
  void maybe_apply(std::vector<float>& samples, int rate, std::mt19937_64& rng) const;
  virtual double probability() const = 0;

 protected:
  virtual void apply(std::vector<float>& samples, int rate, std::mt19937_64& rng) const = 0;
};

/// Uniform in [lo, hi] from 53 bits of rng (the same on every platform).
double uniform_between(std::mt19937_64& rng, double lo, double hi);
/// Binds `probability` (in [0, 1]) for an augmentation's options.
void bind_probability(Binder& b, double& probability);
/// Binds a [low, high] range option ("snr_db": [10, 30]).
void bind_range(Binder& b, const char* key, std::vector<double>& range, const char* doc);
/// Reports (at plan time, with every other recipe error) a range that is not [low, high] with
/// min <= low <= high <= max.
void check_range(const std::vector<double>& range, double min, double max,
                 const std::string& option_path, Diagnostics& diags);

}  // namespace higgs
