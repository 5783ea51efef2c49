// Augmentation `reverb`: the reference recorded in a room, from a room impulse response made
// here (exponentially decaying noise with the drawn RT60), so no RIR corpus is needed.
//
//   reference_augmentation: [ { type: 'reverb', rt60_seconds: [0.2, 0.8], wet: [0.3, 0.7] } ]
#include "components/audio/augmentation.h"
#include "components/audio/augmentation_dsp.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

class ReverbAugmentation : public Augmentation {
 public:
  struct Options {
    std::vector<double> rt60_seconds{0.2, 0.8};
    std::vector<double> wet{0.3, 0.7};
    double probability = 1.0;
  };
  static void bind(Binder& b, Options& o) {
    bind_range(b, "rt60_seconds", o.rt60_seconds,
               "Reverberation time (decay by 60 dB), drawn from [low, high] in [0.05, 2].");
    bind_range(b, "wet", o.wet, "Share of reverberant sound, drawn from [low, high] in [0, 1].");
    bind_probability(b, o.probability);
  }
  static void check_plan(const Options& o, const RecipePlan&, const std::string& path,
                         Diagnostics& diags) {
    check_range(o.rt60_seconds, 0.05, 2.0, path + ".rt60_seconds", diags);
    check_range(o.wet, 0.0, 1.0, path + ".wet", diags);
  }
  explicit ReverbAugmentation(const Options& o)
      : o_(o), rt60_{o.rt60_seconds.at(0), o.rt60_seconds.at(1)}, wet_{o.wet.at(0), o.wet.at(1)} {}
  double probability() const override { return o_.probability; }

 protected:
  void apply(std::vector<float>& x, int rate, std::mt19937_64& rng) const override {
    const double rt60 = uniform_between(rng, rt60_.first, rt60_.second);
    const double wet = uniform_between(rng, wet_.first, wet_.second);
    augment::apply_reverb(x, augment::room_impulse_response(rate, rt60, rng), wet);
  }

 private:
  Options o_;
  std::pair<double, double> rt60_, wet_;
};

}  // namespace

HIGGS_REGISTER(Augmentation, ReverbAugmentation, "reverb",
               "Reference in a synthetic room (generated impulse response, RT60 range).");

}  // namespace higgs
