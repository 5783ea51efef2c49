// Waveform augmentation for mono float clips: gain, additive noise at a set SNR, telephone band
// limiting, speed and tempo perturbation, and synthetic reverberation. Plain functions, no torch,
// so a dataset or collator can call them on decoded audio before feature extraction.
//
// Every function that changes the level keeps the clip unclipped: if any |sample| would exceed 1,
// the whole clip is scaled down so its peak is 0.999 (a reference must never be clipped by
// augmentation). Random functions take the caller's std::mt19937_64 (fully specified by the
// standard) and use no std::*_distribution (whose output differs between standard libraries), so
// a seed gives the same clip everywhere; only libm's log/sin/cos enter, to well below float
// precision. Bad parameters throw std::invalid_argument naming the parameter and allowed range.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace higgs::augment {

/// Multiplies x by 10^(gain_db/20), then applies the no-clipping rule (peak limited to 0.999).
void apply_gain_db(std::vector<float>& x, double gain_db);

/// n samples of unit-variance Gaussian noise by Box-Muller on rng()'s bits: the same on every
/// platform, unlike std::normal_distribution.
std::vector<float> white_noise(size_t n, std::mt19937_64& rng);

/// n samples of 1/f noise (Paul Kellett's refined filter on white_noise), scaled to unit RMS.
std::vector<float> pink_noise(size_t n, std::mt19937_64& rng);

/// Adds noise, looped from noise_offset (modulo its length) or cropped to x.size(), scaled so that
/// mean-square(x) / mean-square(added noise) is exactly snr_db; then the no-clipping rule. A silent
/// x is left unchanged; empty or all-zero noise throws.
void add_noise_at_snr(std::vector<float>& x, const std::vector<float>& noise, double snr_db,
                      size_t noise_offset = 0);

/// Telephone-style band pass: 4th-order Butterworth high-pass at low_hz (none if low_hz is 0) and
/// 4th-order Butterworth low-pass at high_hz < rate/2, each two RBJ biquads, applied forward only.
void band_limit(std::vector<float>& x, int rate, double low_hz, double high_hz);

/// Speed perturbation as Kaldi/ESPnet do it: soxr (SOXR_HQ) from rate*factor to rate, so the
/// output has round(n/factor) samples and pitch scaled by factor. factor in [0.5, 2].
std::vector<float> change_speed(const std::vector<float>& x, int rate, double factor);

/// Tempo change keeping pitch, by WSOLA (20 ms Hann frames at 50% overlap, +-10 ms similarity
/// search). The output has exactly round(n/factor) samples. factor in [0.5, 2].
std::vector<float> change_tempo(const std::vector<float>& x, int rate, double factor);

/// Synthetic room impulse response rt60_seconds long: a unit direct path at t=0, then from 2-5 ms
/// white noise under the envelope exp(-6.9078 t / rt60) (-60 dB at rt60); unit total energy.
/// rt60_seconds in [0.05, 2]. The tail holds most of the energy (direct-to-reverberant ratio
/// about 10 log10(13.8 / (rate rt60)) dB, -25 dB at 16 kHz and 0.3 s): a distant talker.
std::vector<float> room_impulse_response(int rate, double rt60_seconds, std::mt19937_64& rng);

/// Convolves x with rir (FFT for long responses), keeps the first x.size() samples, mixes
/// (1-wet)*dry + wet*reverberant, restores the input RMS, then the no-clipping rule. wet in [0, 1].
void apply_reverb(std::vector<float>& x, const std::vector<float>& rir, double wet = 1.0);

}  // namespace higgs::augment
