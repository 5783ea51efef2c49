// Augmentations `speed` and `tempo`: the reference spoken faster or slower. `speed` resamples
// (soxr), changing pitch with it as Kaldi's speed perturbation does; `tempo` keeps the pitch
// (WSOLA). One factor is drawn from the list per variant.
//
//   reference_augmentation: [ { type: 'speed', factors: [0.9, 1.0, 1.1] } ]
#include "components/audio/augmentation.h"
#include "components/audio/augmentation_dsp.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

template <bool kKeepPitch>
class SpeedAugmentation : public Augmentation {
 public:
  struct Options {
    std::vector<double> factors{0.9, 1.0, 1.1};
    double probability = 1.0;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("factors", o.factors,
          kKeepPitch ? "Tempo factors (1.1 = 10% faster, same pitch), one drawn per variant."
                     : "Speed factors (1.1 = 10% faster and higher), one drawn per variant.");
    bind_probability(b, o.probability);
  }
  static void check_plan(const Options& o, const RecipePlan&, const std::string& path,
                         Diagnostics& diags) {
    if (o.factors.empty())
      diags.error(path + ".factors", "is empty; give at least one factor in [0.5, 2]");
    for (double f : o.factors)
      if (!(f >= 0.5 && f <= 2.0))
        diags.error(path + ".factors", "factor " + std::to_string(f) + " is outside [0.5, 2]");
  }
  explicit SpeedAugmentation(const Options& o) : o_(o) {}
  double probability() const override { return o_.probability; }

 protected:
  void apply(std::vector<float>& x, int rate, std::mt19937_64& rng) const override {
    const double f = o_.factors[rng() % o_.factors.size()];
    if (f == 1.0) return;
    x = kKeepPitch ? augment::change_tempo(x, rate, f) : augment::change_speed(x, rate, f);
  }

 private:
  Options o_;
};

using Speed = SpeedAugmentation<false>;
using Tempo = SpeedAugmentation<true>;

}  // namespace

HIGGS_REGISTER(Augmentation, Speed, "speed", "Reference faster or slower, pitch with it (soxr).");
HIGGS_REGISTER(Augmentation, Tempo, "tempo", "Reference faster or slower, same pitch (WSOLA).");

}  // namespace higgs
