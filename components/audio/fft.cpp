#include "components/audio/fft.h"

#include <cmath>

namespace higgs {

namespace {
constexpr double kFftPi = 3.14159265358979323846;
}  // namespace

void fft(std::vector<std::complex<double>>& a, bool inverse) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  // One twiddle table, each entry from cos/sin directly: no error builds up across stages.
  std::vector<std::complex<double>> tw(n / 2);
  const double sign = inverse ? 1.0 : -1.0;
  for (size_t k = 0; k < n / 2; ++k) {
    const double angle = sign * 2 * kFftPi * double(k) / double(n);
    tw[k] = {std::cos(angle), std::sin(angle)};
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2, stride = n / len;
    for (size_t start = 0; start < n; start += len)
      for (size_t j = 0; j < half; ++j) {
        const std::complex<double> u = a[start + j], v = a[start + j + half] * tw[j * stride];
        a[start + j] = u + v;
        a[start + j + half] = u - v;
      }
  }
  if (inverse)
    for (auto& v : a) v /= double(n);
}

}  // namespace higgs
