// An in-place radix-2 complex FFT, for the audio measures and the augmentation's convolution
// (no FFT library is a dependency of the project).
#pragma once

#include <complex>
#include <vector>

namespace higgs {

/// Transforms `a` in place; a.size() must be a power of two. `inverse` includes the 1/N.
void fft(std::vector<std::complex<double>>& a, bool inverse = false);

}  // namespace higgs
