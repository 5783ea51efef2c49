// The signal processing behind augmentation_dsp.h: biquads, soxr, WSOLA and an FFT convolution.
#include "components/audio/augmentation_dsp.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "components/audio/fft.h"

namespace higgs::augment {
namespace {

const double kPi = 3.14159265358979323846;
const double kLn1000 = 6.907755278982137;  // ln(10^3): an amplitude of exp(-kLn1000) is -60 dB

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

[[noreturn]] void bad(const std::string& function, const std::string& what) {
  throw std::invalid_argument("augment::" + function + ": " + what);
}

void check_rate(const char* function, int rate) {
  if (rate <= 0)
    bad(function, "rate = " + std::to_string(rate) + " must be a positive sample rate");
}

void check_range(const char* function, const char* name, double v, double lo, double hi) {
  // Written so that NaN fails too.
  if (!(v >= lo && v <= hi))
    bad(function, std::string(name) + " = " + num(v) + " is outside the allowed range [" + num(lo) +
                      ", " + num(hi) + "]");
}

double mean_square(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return x.empty() ? 0.0 : s / double(x.size());
}

// The no-clipping rule shared by every level-changing function.
void limit_peak(std::vector<float>& x) {
  double peak = 0;
  for (float v : x) peak = std::max(peak, double(std::fabs(v)));
  if (peak <= 1.0) return;
  const double scale = 0.999 / peak;
  for (float& v : x) v = float(double(v) * scale);
}

// Uniform in [0, 1) from the top 53 bits, so the value does not depend on the standard library.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * 0x1.0p-53; }

// RBJ cookbook biquad, transposed direct form II in double.
struct Biquad {
  double b0, b1, b2, a1, a2;
  double z1 = 0, z2 = 0;
  double step(double in) {
    const double out = b0 * in + z1;
    z1 = b1 * in - a1 * out + z2;
    z2 = b2 * in - a2 * out;
    return out;
  }
};

Biquad rbj(bool high_pass, int rate, double f0, double q) {
  const double w0 = 2 * kPi * f0 / rate, c = std::cos(w0), alpha = std::sin(w0) / (2 * q);
  const double a0 = 1 + alpha;
  const double b0 = (high_pass ? (1 + c) : (1 - c)) / 2, b1 = high_pass ? -(1 + c) : (1 - c);
  return Biquad{b0 / a0, b1 / a0, b0 / a0, -2 * c / a0, (1 - alpha) / a0};
}

// The first x.size() samples of the linear convolution x * h.
std::vector<double> convolve_prefix(const std::vector<float>& x, const std::vector<float>& h) {
  const size_t n = x.size(), m = h.size();
  std::vector<double> y(n, 0.0);
  if (m <= 64) {  // short responses (a bare direct path): direct sum, exact
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m && j <= i; ++j) y[i] += double(h[j]) * x[i - j];
    return y;
  }
  size_t size = 1;
  while (size < n + m - 1) size <<= 1;  // no circular wrap into the kept prefix
  // Both real inputs ride in one complex FFT, z = x + i h; then X H = (Z[k]^2 - conj(Z[-k])^2)/4i.
  std::vector<std::complex<double>> z(size);
  for (size_t i = 0; i < n; ++i) z[i].real(x[i]);
  for (size_t i = 0; i < m; ++i) z[i].imag(h[i]);
  fft(z, false);
  std::vector<std::complex<double>> p(size);
  const std::complex<double> four_i(0, 4);
  for (size_t k = 0; k < size; ++k) {
    const std::complex<double> zk = z[k], zmk = std::conj(z[(size - k) % size]);
    p[k] = (zk * zk - zmk * zmk) / four_i;
  }
  fft(p, true);
  for (size_t i = 0; i < n; ++i) y[i] = p[i].real();
  return y;
}

// WSOLA's search: the d in [-tol, tol] where span[d + tol ...] best matches target (normalised
// cross-correlation over the cross-faded half frame, the only part where phase matters). A coarse
// pass on every other lag and sample, then the neighbours at full resolution, costs a sixth of a
// full search. d = 0 wins ties and silent targets.
int64_t most_similar_offset(const std::vector<double>& span, const std::vector<double>& target,
                            int64_t tol) {
  const int64_t len = int64_t(target.size());
  auto similarity = [&](int64_t d, int64_t stride) {
    const double* c = span.data() + (d + tol);
    double dot = 0, ce = 0, te = 0;
    for (int64_t i = 0; i < len; i += stride) {
      dot += c[i] * target[size_t(i)];
      ce += c[i] * c[i];
      te += target[size_t(i)] * target[size_t(i)];
    }
    return ce > 0 && te > 0 ? dot / std::sqrt(ce * te) : -1.0;
  };
  int64_t coarse = 0;
  double best = similarity(0, 2);
  for (int64_t d = -tol; d <= tol; d += 2) {
    const double v = similarity(d, 2);
    if (v > best) best = v, coarse = d;
  }
  int64_t fine = coarse;
  best = similarity(coarse, 1);
  for (int64_t d = std::max(-tol, coarse - 1); d <= std::min(tol, coarse + 1); ++d) {
    const double v = similarity(d, 1);
    if (v > best) best = v, fine = d;
  }
  return fine;
}

}  // namespace

void apply_gain_db(std::vector<float>& x, double gain_db) {
  if (!std::isfinite(gain_db))
    bad("apply_gain_db", "gain_db = " + num(gain_db) + " must be finite");
  const double g = std::pow(10.0, gain_db / 20.0);
  for (float& v : x) v = float(double(v) * g);
  limit_peak(x);
}

std::vector<float> white_noise(size_t n, std::mt19937_64& rng) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - uniform01(rng);  // (0, 1]: log stays finite
    const double u2 = uniform01(rng);
    const double r = std::sqrt(-2.0 * std::log(u1)), angle = 2 * kPi * u2;
    out[i] = float(r * std::cos(angle));
    if (i + 1 < n) out[i + 1] = float(r * std::sin(angle));
  }
  return out;
}

std::vector<float> pink_noise(size_t n, std::mt19937_64& rng) {
  // The slowest pole (0.99886) forgets its zero start in ~900 samples; run it stationary first.
  const size_t warmup = 4096;
  const std::vector<float> white = white_noise(n + warmup, rng);
  double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  std::vector<double> pink(n);
  for (size_t i = 0; i < white.size(); ++i) {
    const double w = white[i];
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.96900 * b2 + w * 0.1538520;
    b3 = 0.86650 * b3 + w * 0.3104856;
    b4 = 0.55000 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.0168980;
    const double p = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
    if (i >= warmup) pink[i - warmup] = p;
  }
  double ms = 0;
  for (double p : pink) ms += p * p;
  const double scale = n ? 1.0 / std::sqrt(ms / double(n)) : 1.0;
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = float(pink[i] * scale);
  return out;
}

void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& noise, double snr_db,
                      size_t noise_offset) {
  const char* fn = "add_noise_at_snr";
  if (!std::isfinite(snr_db)) bad(fn, "snr_db = " + num(snr_db) + " must be finite");
  if (noise.empty()) bad(fn, "noise is empty; pass at least one sample");
  if (mean_square(noise) == 0) bad(fn, "noise is all zeros; it cannot be scaled to an SNR");
  const double ps = mean_square(x);
  if (ps == 0) return;  // nothing to set an SNR against
  std::vector<double> seg(x.size());
  const size_t len = noise.size(), start = noise_offset % len;
  double pn = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    seg[i] = noise[(start + i) % len];
    pn += seg[i] * seg[i];
  }
  pn /= double(x.size());
  if (pn == 0)
    bad(fn, "the noise from noise_offset = " + std::to_string(noise_offset) + " over " +
                std::to_string(x.size()) + " samples is all zeros; pick another offset");
  const double g = std::sqrt(ps / (pn * std::pow(10.0, snr_db / 10.0)));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(double(x[i]) + g * seg[i]);
  limit_peak(x);
}

void band_limit(std::vector<float>& x, int rate, double low_hz, double high_hz) {
  const char* fn = "band_limit";
  check_rate(fn, rate);
  const double nyquist = rate / 2.0;
  if (!(high_hz > 0 && high_hz < nyquist))
    bad(fn, "high_hz = " + num(high_hz) + " must be in (0, rate/2 = " + num(nyquist) + ")");
  if (!(low_hz >= 0 && low_hz < high_hz))
    bad(fn, "low_hz = " + num(low_hz) + " must be in [0, high_hz = " + num(high_hz) +
                "); 0 means no high-pass");
  // Q of the two second-order sections of a 4th-order Butterworth: 1 / (2 cos(pi/8)), 1 / (2
  // cos(3pi/8)).
  const double qs[2] = {0.5412, 1.3066};
  std::vector<Biquad> chain;
  if (low_hz > 0)
    for (double q : qs) chain.push_back(rbj(true, rate, low_hz, q));
  for (double q : qs) chain.push_back(rbj(false, rate, high_hz, q));
  for (float& v : x) {
    double s = v;
    for (Biquad& b : chain) s = b.step(s);
    v = float(s);
  }
}

std::vector<float> change_speed(const std::vector<float>& x, int rate, double factor) {
  check_rate("change_speed", rate);
  check_range("change_speed", "factor", factor, 0.5, 2.0);
  if (x.empty() || factor == 1.0) return x;
  const size_t n_out = size_t(std::llround(double(x.size()) / factor));
  // Pretending the clip was recorded at rate*factor and resampling to rate plays it factor times
  // faster: shorter and higher, exactly sox's `speed` effect that Kaldi/ESPnet use.
  std::vector<float> out(n_out + 64, 0.f);
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  size_t idone = 0, odone = 0;
  soxr_error_t err = soxr_oneshot(double(rate) * factor, double(rate), 1, x.data(), x.size(),
                                  &idone, out.data(), out.size(), &odone, &io, &q, nullptr);
  if (err) throw std::runtime_error(std::string("augment::change_speed: soxr failed: ") + err);
  out.resize(odone);
  out.resize(n_out, 0.f);
  return out;
}

std::vector<float> change_tempo(const std::vector<float>& x, int rate, double factor) {
  check_rate("change_tempo", rate);
  check_range("change_tempo", "factor", factor, 0.5, 2.0);
  const int64_t n = int64_t(x.size());
  const int64_t n_out = std::llround(double(n) / factor);
  if (n == 0 || factor == 1.0) return x;
  // 20 ms frames advancing 10 ms in the output; a periodic Hann at 50% overlap sums to exactly 1.
  const int64_t hop = std::max<int64_t>(1, std::llround(0.01 * rate)), win = 2 * hop;
  const int64_t tol = hop;  // +-10 ms search
  std::vector<double> w(static_cast<size_t>(win));
  for (int64_t i = 0; i < win; ++i) w[size_t(i)] = 0.5 - 0.5 * std::cos(2 * kPi * double(i) / win);
  auto at = [&](int64_t i) { return i >= 0 && i < n ? double(x[size_t(i)]) : 0.0; };

  std::vector<double> out(size_t(n_out), 0.0);
  std::vector<double> span(static_cast<size_t>(hop + 2 * tol)), target(static_cast<size_t>(hop));
  int64_t prev = 0;
  // Frame k is written at s = (k-1)*hop, so output sample 0 already has two frames over it. Its
  // centre s+hop maps to input time (s+hop)*factor; WSOLA then moves the frame by up to tol to the
  // spot most like the natural continuation of the previous frame, so waveforms join in phase.
  for (int64_t s = -hop; s < n_out; s += hop) {
    const int64_t nominal = std::llround(double(s + hop) * factor) - hop;
    int64_t start = nominal;
    if (s > -hop) {
      for (int64_t i = 0; i < hop; ++i) target[size_t(i)] = at(prev + hop + i);
      for (int64_t i = 0; i < hop + 2 * tol; ++i) span[size_t(i)] = at(nominal - tol + i);
      start = nominal + most_similar_offset(span, target, tol);
    }
    for (int64_t i = 0; i < win; ++i) {
      const int64_t o = s + i;
      if (o >= 0 && o < n_out) out[size_t(o)] += w[size_t(i)] * at(start + i);
    }
    prev = start;
  }
  return std::vector<float>(out.begin(), out.end());
}

std::vector<float> room_impulse_response(int rate, double rt60_seconds, std::mt19937_64& rng) {
  check_rate("room_impulse_response", rate);
  check_range("room_impulse_response", "rt60_seconds", rt60_seconds, 0.05, 2.0);
  const size_t len = size_t(std::max<int64_t>(1, std::llround(rt60_seconds * rate)));
  // The first reflections arrive 2-5 ms after the direct sound (0.7-1.7 m of extra path).
  const double onset_s = 0.002 + 0.003 * uniform01(rng);
  const size_t onset = size_t(std::max<int64_t>(1, std::llround(onset_s * rate)));
  const std::vector<float> noise = white_noise(len, rng);
  std::vector<double> h(len, 0.0);
  h[0] = 1.0;
  for (size_t i = onset; i < len; ++i)
    h[i] = noise[i] * std::exp(-kLn1000 * (double(i) / rate) / rt60_seconds);
  double energy = 0;
  for (double v : h) energy += v * v;
  const double scale = 1.0 / std::sqrt(energy);
  std::vector<float> out(len);
  for (size_t i = 0; i < len; ++i) out[i] = float(h[i] * scale);
  return out;
}

void apply_reverb(std::vector<float>& x, const std::vector<float>& rir, double wet) {
  check_range("apply_reverb", "wet", wet, 0.0, 1.0);
  if (rir.empty()) bad("apply_reverb", "rir is empty; pass at least the direct path {1}");
  if (mean_square(rir) == 0) bad("apply_reverb", "rir is all zeros; it would silence the clip");
  const double in_ms = mean_square(x);
  if (in_ms == 0) return;
  const std::vector<double> reverberant = convolve_prefix(x, rir);
  std::vector<double> mixed(x.size());
  double out_ms = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    mixed[i] = (1 - wet) * double(x[i]) + wet * reverberant[i];
    out_ms += mixed[i] * mixed[i];
  }
  out_ms /= double(x.size());
  // The room changes the colour, not the loudness the rest of the pipeline sees.
  const double scale = out_ms > 0 ? std::sqrt(in_ms / out_ms) : 1.0;
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(mixed[i] * scale);
  limit_peak(x);
}

}  // namespace higgs::augment
