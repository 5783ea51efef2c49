// Augmentation `band_limit`: a telephone or cheap-microphone band (300-3400 Hz by default), so
// the model clones a voice heard through a narrow channel without copying the channel.
//
//   reference_augmentation: [ { type: 'band_limit', low_hz: 300, high_hz: 3400 } ]
#include "components/audio/augmentation.h"
#include "components/audio/augmentation_dsp.h"
#include "framework/registry/registry.h"

namespace higgs {
namespace {

class BandLimitAugmentation : public Augmentation {
 public:
  struct Options {
    double low_hz = 300;
    double high_hz = 3400;
    double probability = 1.0;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("low_hz", o.low_hz, "High-pass corner (4th-order Butterworth); 0 = none.").min(0.0);
    b.opt("high_hz", o.high_hz, "Low-pass corner (4th-order Butterworth), below half the rate.")
        .min(1.0);
    bind_probability(b, o.probability);
  }
  explicit BandLimitAugmentation(const Options& o) : o_(o) {}
  double probability() const override { return o_.probability; }

 protected:
  void apply(std::vector<float>& x, int rate, std::mt19937_64&) const override {
    augment::band_limit(x, rate, o_.low_hz, o_.high_hz);
  }

 private:
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Augmentation, BandLimitAugmentation, "band_limit",
               "Telephone-style band pass of the reference (default 300-3400 Hz).");

}  // namespace higgs
