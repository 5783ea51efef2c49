// Random numbers that are the same on every platform: std::mt19937_64 is fully specified by the
// standard, its distributions are not (libstdc++ and libc++ differ), so seeded plans and
// augmentation variants draw through these.
#pragma once

#include <random>

namespace higgs {

/// Uniform in [0, 1) from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) {
  return double(rng() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace higgs
