// augmentation_dsp on synthetic signals: levels, SNRs, filter responses, resampled and
// time-stretched pitches, and the decay of a synthetic room, each measured against what was asked.
#include "components/audio/augmentation_dsp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

namespace {

namespace aug = higgs::augment;

const double kAugPi = 3.14159265358979323846;

std::vector<float> aug_sine(double freq, double amp, int rate, size_t n) {
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = float(amp * std::sin(2 * kAugPi * freq * double(i) / rate));
  return s;
}

double aug_mean_square(const std::vector<float>& x, size_t from = 0) {
  double s = 0;
  for (size_t i = from; i < x.size(); ++i) s += double(x[i]) * x[i];
  return s / double(x.size() - from);
}

double aug_peak(const std::vector<float>& x) {
  double p = 0;
  for (float v : x) p = std::max(p, double(std::fabs(v)));
  return p;
}

// Frequency from the interpolated rising zero crossings between `skip` and n - skip.
double aug_zero_crossing_hz(const std::vector<float>& x, int rate, size_t skip) {
  double first = -1, last = -1;
  int count = 0;
  for (size_t i = skip; i + 1 < x.size() - skip; ++i)
    if (x[i] < 0 && x[i + 1] >= 0) {
      const double t = double(i) + double(-x[i]) / double(x[i + 1] - x[i]);
      if (first < 0) first = t;
      last = t;
      ++count;
    }
  REQUIRE(count > 2);
  return double(count - 1) * rate / (last - first);
}

// Power of x in dB after band_limit(lo, hi), skipping the first quarter (the filter transient).
double aug_band_db(std::vector<float> x, int rate, double lo, double hi) {
  aug::band_limit(x, rate, lo, hi);
  return 10 * std::log10(aug_mean_square(x, x.size() / 4));
}

}  // namespace

TEST_CASE("augmentation_dsp: gain of 6.0206 dB doubles a sine and a clipping gain stops at 0.999") {
  const std::vector<float> dry = aug_sine(440, 0.1, 16000, 1600);
  std::vector<float> x = dry;
  aug::apply_gain_db(x, 6.0206);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - 2.0 * dry[i]));
  CHECK(worst < 1e-6);
  CHECK(aug_peak(x) == doctest::Approx(0.2).epsilon(1e-5));

  std::vector<float> loud = dry;
  aug::apply_gain_db(loud, 40);  // 100x: a peak of 10 before the limiter
  CHECK(std::fabs(aug_peak(loud) - 0.999) < 1e-6);
  // The limiter scales the whole clip, so the waveform's shape survives.
  CHECK(loud[100] / loud[50] == doctest::Approx(dry[100] / dry[50]).epsilon(1e-5));
}

TEST_CASE("augmentation_dsp: white_noise is a portable unit Gaussian") {
  std::mt19937_64 a(42), b(42);
  const std::vector<float> x = aug::white_noise(200000, a);
  CHECK(x == aug::white_noise(200000, b));
  double mean = 0;
  for (float v : x) mean += v;
  mean /= double(x.size());
  double var = 0;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= double(x.size());
  CHECK(std::fabs(mean) < 0.02);
  CHECK(std::fabs(var - 1) < 0.02);
  // Box-Muller on mt19937_64(42)'s first four outputs, recomputed by hand from those integers in
  // an independent implementation: the same numbers on every standard library.
  CHECK(std::fabs(x[0] - (-1.07717454)) < 1e-6);
  CHECK(std::fabs(x[1] - (-1.28606343)) < 1e-6);
  CHECK(std::fabs(x[2] - 1.09451985) < 1e-6);
  std::mt19937_64 c(43);
  CHECK(aug::white_noise(16, c) != std::vector<float>(x.begin(), x.begin() + 16));
}

TEST_CASE("augmentation_dsp: pink_noise has unit RMS and equal power per octave") {
  std::mt19937_64 a(7), b(7);
  const std::vector<float> pink = aug::pink_noise(160000, a);
  CHECK(pink == aug::pink_noise(160000, b));
  CHECK(aug_mean_square(pink) == doctest::Approx(1.0).epsilon(1e-5));
  const double low = aug_band_db(pink, 16000, 250, 500),
               high = aug_band_db(pink, 16000, 2000, 4000);
  CHECK(std::fabs(high - low) < 1.5);
  // White noise, by contrast, has 8x the power in the octave three octaves up.
  std::mt19937_64 c(7);
  const std::vector<float> white = aug::white_noise(160000, c);
  const double white_gap =
      aug_band_db(white, 16000, 2000, 4000) - aug_band_db(white, 16000, 250, 500);
  CHECK(white_gap == doctest::Approx(10 * std::log10(8.0)).epsilon(0.1));
}

TEST_CASE("augmentation_dsp: add_noise_at_snr hits the requested SNR") {
  const std::vector<float> signal = aug_sine(300, 0.2, 16000, 16000);
  std::mt19937_64 rng(1);
  const std::vector<float> noise = aug::white_noise(20000, rng);
  for (double snr : {5.0, 10.0, 20.0}) {
    std::vector<float> x = signal;
    aug::add_noise_at_snr(x, noise, snr, 1234);
    double pn = 0;
    for (size_t i = 0; i < x.size(); ++i)
      pn += (double(x[i]) - signal[i]) * (double(x[i]) - signal[i]);
    pn /= double(x.size());
    CHECK(std::fabs(10 * std::log10(aug_mean_square(signal) / pn) - snr) < 0.01);
  }
}

TEST_CASE("augmentation_dsp: add_noise_at_snr loops a short noise from its offset") {
  const std::vector<float> signal = aug_sine(440, 0.1, 16000, 1000);
  std::mt19937_64 rng(2);
  const std::vector<float> noise = aug::white_noise(100, rng);
  std::vector<float> x = signal;
  aug::add_noise_at_snr(x, noise, 10, 237);  // 237 mod 100: starts at noise[37]
  const double g = (double(x[0]) - signal[0]) / noise[37];
  CHECK(g > 0);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::fabs(double(x[i]) - signal[i] - g * noise[(37 + i) % 100]));
  CHECK(worst < 1e-6);
  double pn = 0;
  for (size_t i = 0; i < x.size(); ++i)
    pn += (double(x[i]) - signal[i]) * (double(x[i]) - signal[i]);
  CHECK(std::fabs(10 * std::log10(aug_mean_square(signal) / (pn / double(x.size()))) - 10) < 0.01);

  std::vector<float> silent(500, 0.f);
  aug::add_noise_at_snr(silent, noise, 10);
  CHECK(silent == std::vector<float>(500, 0.f));
}

TEST_CASE("augmentation_dsp: band_limit 300-3400 Hz passes 1 kHz and stops 100 Hz and 6 kHz") {
  const int rate = 16000;
  auto gain_db = [&](double freq) {
    const std::vector<float> dry = aug_sine(freq, 0.5, rate, rate);
    std::vector<float> x = dry;
    aug::band_limit(x, rate, 300, 3400);
    return 10 * std::log10(aug_mean_square(x, x.size() / 2) / aug_mean_square(dry, dry.size() / 2));
  };
  CHECK(std::fabs(gain_db(1000)) < 1.0);
  CHECK(gain_db(100) < -15);
  CHECK(gain_db(6000) < -15);
  // low_hz = 0 is a pure low-pass: 100 Hz passes.
  std::vector<float> x = aug_sine(100, 0.5, rate, rate);
  aug::band_limit(x, rate, 0, 3400);
  CHECK(std::fabs(10 * std::log10(aug_mean_square(x, x.size() / 2) / 0.125)) < 0.1);
}

TEST_CASE("augmentation_dsp: change_speed 1.1 shortens by 1.1 and raises 440 Hz to 484 Hz") {
  const int rate = 16000;
  const std::vector<float> x = aug_sine(440, 0.5, rate, size_t(rate));
  const std::vector<float> fast = aug::change_speed(x, rate, 1.1);
  CHECK(std::fabs(double(fast.size()) - rate / 1.1) <= 1.0);
  CHECK(aug_zero_crossing_hz(fast, rate, 400) == doctest::Approx(484).epsilon(0.01));
  const std::vector<float> slow = aug::change_speed(x, rate, 0.9);
  CHECK(std::fabs(double(slow.size()) - rate / 0.9) <= 1.0);
  CHECK(aug_zero_crossing_hz(slow, rate, 400) == doctest::Approx(396).epsilon(0.01));
  CHECK(aug::change_speed(x, rate, 1.0) == x);
}

TEST_CASE("augmentation_dsp: change_tempo 1.25 gives round(n/1.25) samples at the same pitch") {
  const int rate = 16000;
  const std::vector<float> x = aug_sine(440, 0.5, rate, size_t(rate));
  const std::vector<float> y = aug::change_tempo(x, rate, 1.25);
  CHECK(y.size() == size_t(std::llround(rate / 1.25)));
  CHECK(aug_zero_crossing_hz(y, rate, 400) == doctest::Approx(440).epsilon(0.02));
  // Overlap-add of in-phase frames keeps the level too.
  CHECK(aug_mean_square(y, 400) == doctest::Approx(0.125).epsilon(0.05));

  const std::vector<float> odd = aug_sine(200, 0.5, rate, 12345);
  for (double f : {0.5, 0.8, 1.3, 2.0}) {
    const std::vector<float> z = aug::change_tempo(odd, rate, f);
    CHECK(z.size() == size_t(std::llround(12345 / f)));
    CHECK(aug_zero_crossing_hz(z, rate, 400) == doctest::Approx(200).epsilon(0.02));
  }
}

TEST_CASE("augmentation_dsp: room_impulse_response has unit energy and decays 60 dB in rt60") {
  const int rate = 16000;
  std::mt19937_64 a(5), b(5);
  const std::vector<float> h = aug::room_impulse_response(rate, 0.3, a);
  CHECK(h == aug::room_impulse_response(rate, 0.3, b));
  CHECK(h.size() == size_t(0.3 * rate));
  double energy = 0;
  for (float v : h) energy += double(v) * v;
  CHECK(std::fabs(energy - 1) < 1e-4);
  // Direct path at t=0, silence, then the first reflections 2-5 ms later.
  size_t onset = 1;
  while (onset < h.size() && h[onset] == 0.f) ++onset;
  CHECK(onset >= size_t(0.002 * rate));
  CHECK(onset <= size_t(0.005 * rate));
  CHECK(h[0] > 0);
  // Schroeder backward integration; the -5..-25 dB slope extrapolated to -60 dB is the rt60.
  std::vector<double> edc(h.size());
  double tail = 0;
  for (size_t i = h.size(); i-- > 0;) edc[i] = (tail += double(h[i]) * h[i]);
  auto time_at_db = [&](double db) {
    size_t i = 0;
    while (i < edc.size() && 10 * std::log10(edc[i] / edc[0]) > db) ++i;
    return double(i) / rate;
  };
  const double rt60 = 3.0 * (time_at_db(-25) - time_at_db(-5));
  CHECK(rt60 > 0.24);
  CHECK(rt60 < 0.36);
}

TEST_CASE("augmentation_dsp: apply_reverb keeps length and RMS and a bare direct path is a no-op") {
  std::mt19937_64 rng(9);
  std::vector<float> dry = aug::white_noise(8000, rng);
  for (float& v : dry) v *= 0.05f;
  std::vector<float> x = dry;
  aug::apply_reverb(x, {1.f});
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(double(x[i]) - dry[i]));
  CHECK(worst < 1e-6);

  const std::vector<float> rir = aug::room_impulse_response(16000, 0.3, rng);
  std::vector<float> wet = dry;
  aug::apply_reverb(wet, rir);
  CHECK(wet.size() == dry.size());
  CHECK(std::sqrt(aug_mean_square(wet)) ==
        doctest::Approx(std::sqrt(aug_mean_square(dry))).epsilon(1e-3));
  CHECK(wet != dry);

  std::vector<float> none = dry;
  aug::apply_reverb(none, rir, 0.0);
  worst = 0;
  for (size_t i = 0; i < none.size(); ++i)
    worst = std::max(worst, std::fabs(double(none[i]) - dry[i]));
  CHECK(worst < 1e-6);
}

TEST_CASE("augmentation_dsp: apply_reverb's FFT convolution matches the direct sum") {
  std::mt19937_64 rng(11);
  std::vector<float> dry = aug::white_noise(3000, rng);
  for (float& v : dry) v *= 0.05f;
  const std::vector<float> rir =
      aug::room_impulse_response(16000, 0.05, rng);  // 800 taps: FFT path
  const double wet_share = 0.5;
  std::vector<double> expect(dry.size());
  double ms = 0;
  for (size_t i = 0; i < dry.size(); ++i) {
    double acc = 0;
    for (size_t j = 0; j < rir.size() && j <= i; ++j) acc += double(rir[j]) * dry[i - j];
    expect[i] = (1 - wet_share) * dry[i] + wet_share * acc;
    ms += expect[i] * expect[i];
  }
  const double scale = std::sqrt(aug_mean_square(dry) / (ms / double(dry.size())));
  std::vector<float> x = dry;
  aug::apply_reverb(x, rir, wet_share);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::fabs(x[i] - expect[i] * scale));
  CHECK(worst < 1e-6);
}

TEST_CASE("augmentation_dsp: bad parameters throw invalid_argument naming the parameter") {
  std::vector<float> x(1000, 0.1f);
  std::mt19937_64 rng(0);
  CHECK_THROWS_WITH_AS(aug::change_speed(x, 16000, 3.0), doctest::Contains("factor = 3"),
                       std::invalid_argument);
  CHECK_THROWS_AS(aug::change_speed(x, 16000, 0.49), std::invalid_argument);
  CHECK_THROWS_AS(aug::change_speed(x, 0, 1.1), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::change_tempo(x, 16000, 2.5), doctest::Contains("[0.5, 2]"),
                       std::invalid_argument);
  CHECK_THROWS_AS(aug::change_tempo(x, 16000, std::nan("")), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::band_limit(x, 16000, 300, 8000), doctest::Contains("high_hz = 8000"),
                       std::invalid_argument);
  CHECK_THROWS_AS(aug::band_limit(x, 16000, 300, 9000), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::band_limit(x, 16000, 3400, 3400), doctest::Contains("low_hz"),
                       std::invalid_argument);
  CHECK_THROWS_AS(aug::band_limit(x, 16000, -1, 3400), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::room_impulse_response(16000, 0, rng),
                       doctest::Contains("rt60_seconds = 0"), std::invalid_argument);
  CHECK_THROWS_AS(aug::room_impulse_response(16000, 2.5, rng), std::invalid_argument);
  CHECK_THROWS_AS(aug::apply_gain_db(x, std::nan("")), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::apply_reverb(x, {1.f}, 1.5), doctest::Contains("wet = 1.5"),
                       std::invalid_argument);
  CHECK_THROWS_AS(aug::apply_reverb(x, {}), std::invalid_argument);
  CHECK_THROWS_AS(aug::apply_reverb(x, {0.f, 0.f}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::add_noise_at_snr(x, {}, 10), doctest::Contains("noise is empty"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(aug::add_noise_at_snr(x, std::vector<float>(50, 0.f), 10),
                       doctest::Contains("all zeros"), std::invalid_argument);
  // Only the part of the noise that is used counts.
  std::vector<float> half_silent(4000, 0.f);
  half_silent[3500] = 1.f;
  CHECK_THROWS_WITH_AS(aug::add_noise_at_snr(x, half_silent, 10), doctest::Contains("noise_offset"),
                       std::invalid_argument);
  CHECK(x == std::vector<float>(1000, 0.1f));  // a throw leaves the clip as it was
}
