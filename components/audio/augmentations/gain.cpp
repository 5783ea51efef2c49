// Augmentation `gain`: the reference's level, as another microphone distance or preamp would
// set it; never clipped (a clip that would be is scaled to a 0.999 peak).
//
//   reference_augmentation: [ { type: 'gain', gain_db: [-10, 6] } ]
#include "components/audio/augmentation.h"
#include "components/audio/augmentation_dsp.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

class GainAugmentation : public Augmentation {
 public:
  struct Options {
    std::vector<double> gain_db{-6.0, 6.0};
    double probability = 1.0;
  };
  static void bind(Binder& b, Options& o) {
    bind_range(b, "gain_db", o.gain_db, "Gain in dB, drawn uniformly from [low, high].");
    bind_probability(b, o.probability);
  }
  static void check_plan(const Options& o, const RecipePlan&, const std::string& path,
                         Diagnostics& diags) {
    check_range(o.gain_db, -60.0, 60.0, path + ".gain_db", diags);
  }
  explicit GainAugmentation(const Options& o) : o_(o), range_{o.gain_db.at(0), o.gain_db.at(1)} {}
  double probability() const override { return o_.probability; }

 protected:
  void apply(std::vector<float>& x, int, std::mt19937_64& rng) const override {
    augment::apply_gain_db(x, uniform_between(rng, range_.first, range_.second));
  }

 private:
  Options o_;
  std::pair<double, double> range_;
};

}  // namespace

HIGGS_REGISTER(Augmentation, GainAugmentation, "gain", "Changes the reference's level (dB range).");

}  // namespace higgs
