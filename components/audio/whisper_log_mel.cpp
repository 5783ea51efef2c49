// feature_extractor `whisper_log_mel`. The steps follow transformers'
// WhisperFeatureExtractor._np_extract_fbank_features + audio_utils.spectrogram, in float64 as
// that code does, so features agree with the reference to float32 rounding:
//   pad/truncate to 30 s -> |STFT|^2 (periodic Hann 400, hop 160, center, reflect)
//   -> Slaney mel -> log10(max(mel, 1e-10)) -> drop last frame -> max(x, max(x) - 8) -> (x+4)/4
#include <torch/torch.h>

#include "components/audio/whisper_log_mel.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "components/audio/feature_extractor.h"
#include "framework/registry/registry.h"

namespace higgs {

namespace {

// Slaney's auditory-toolbox mel scale: linear below 1 kHz, logarithmic above.
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = 15.0;  // 1000 Hz * 3 / 200
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) {
  return hz < kMinLogHz ? 3.0 * hz / 200.0 : kMinLogMel + std::log(hz / kMinLogHz) / kLogStep;
}
double mel_to_hz(double mel) {
  return mel < kMinLogMel ? 200.0 * mel / 3.0 : kMinLogHz * std::exp(kLogStep * (mel - kMinLogMel));
}

}  // namespace

at::Tensor slaney_mel_filters(int64_t n_mels, int64_t n_fft, int64_t sample_rate, double f_min,
                              double f_max) {
  const int64_t bins = n_fft / 2 + 1;
  // Band edges: n_mels + 2 points evenly spaced on the mel scale.
  std::vector<double> edges(size_t(n_mels + 2));
  const double m0 = hz_to_mel(f_min), m1 = hz_to_mel(f_max);
  for (int64_t i = 0; i < n_mels + 2; ++i)
    edges[size_t(i)] = mel_to_hz(m0 + (m1 - m0) * double(i) / double(n_mels + 1));
  auto w = torch::zeros({n_mels, bins}, torch::kDouble);
  auto acc = w.accessor<double, 2>();
  // transformers uses linspace(0, sample_rate // 2, bins) for the bin frequencies.
  const double nyquist = double(sample_rate / 2);
  for (int64_t m = 0; m < n_mels; ++m) {
    const double lo = edges[size_t(m)], mid = edges[size_t(m + 1)], hi = edges[size_t(m + 2)];
    const double enorm = 2.0 / (hi - lo);  // Slaney norm: each triangle has unit area
    for (int64_t k = 0; k < bins; ++k) {
      const double f = nyquist * double(k) / double(bins - 1);
      const double up = (f - lo) / (mid - lo), down = (hi - f) / (hi - mid);
      acc[m][k] = std::max(0.0, std::min(up, down)) * enorm;
    }
  }
  return w;
}

void WhisperLogMel::bind(Binder& b, Options& o) {
  b.opt("n_mels", o.n_mels, "Mel bands: 128 for whisper-large-v3(-turbo), 80 for earlier Whisper.")
      .min(1)
      .max(512);
  b.opt("sample_rate", o.sample_rate, "Rate the waveforms must have (Whisper: 16000).").min(1000);
  b.opt("n_fft", o.n_fft, "FFT size and Hann window length in samples.").min(16);
  b.opt("hop_length", o.hop_length, "Samples between frames.").min(1);
  b.opt("chunk_seconds", o.chunk_seconds, "Window every waveform is padded/truncated to.").min(1);
  b.choice("precision", o.precision, {"float64", "float32"},
           "STFT precision: float64 = transformers' numpy path (default); float32 = like its torch "
           "path, faster, differs by up to ~1e-4.");
  b.opt("f_max", o.f_max, "Upper edge of the mel filterbank in Hz (transformers fixes 8000).")
      .min(1.0);
}

WhisperLogMel::WhisperLogMel() : WhisperLogMel(Options{}) {}

WhisperLogMel::WhisperLogMel(const Options& options) : opt_(options) {
  if (opt_.f_max > opt_.sample_rate / 2.0)
    throw std::invalid_argument("whisper_log_mel: f_max " + std::to_string(opt_.f_max) +
                                " Hz is above the Nyquist frequency of sample_rate " +
                                std::to_string(opt_.sample_rate) + "; lower f_max");
  if (opt_.n_fft % 2 != 0 || opt_.hop_length > opt_.n_fft)
    throw std::invalid_argument("whisper_log_mel: n_fft must be even and >= hop_length");
  if (opt_.n_fft / 2 >= chunk_samples())
    throw std::invalid_argument("whisper_log_mel: n_fft must be shorter than 2 * chunk samples");
  if (opt_.precision != "float64" && opt_.precision != "float32")
    throw std::invalid_argument(
        "whisper_log_mel: precision must be \"float64\" or \"float32\", got \"" + opt_.precision +
        "\"");
  filters_ = slaney_mel_filters(opt_.n_mels, opt_.n_fft, opt_.sample_rate, 0.0, opt_.f_max);
  auto acc = filters_.accessor<double, 2>();
  for (int64_t m = 0; m < opt_.n_mels; ++m) {
    int64_t lo = filters_.size(1), hi = 0;
    for (int64_t k = 0; k < filters_.size(1); ++k)
      if (acc[m][k] != 0.0) lo = std::min(lo, k), hi = k + 1;
    band_.emplace_back(std::min(lo, hi), hi);
  }
  window_ = torch::hann_window(opt_.n_fft, /*periodic=*/true, torch::kDouble);
}

// Power spectrum and filterbank in one pass over the STFT, frame by frame: each triangular
// filter covers a handful of bins, so only its non-zero band is summed (about 400 weights per
// frame instead of n_mels * 201), accumulating in float64 whatever the STFT precision.
template <class T>
at::Tensor WhisperLogMel::mel_power(const at::Tensor& spec, int64_t nf) const {
  // spec: (N, frames, bins) complex, contiguous.
  const int64_t n = spec.size(0), frames_in = spec.size(1), bins = spec.size(2);
  auto mel = torch::empty({n, opt_.n_mels, nf}, torch::kFloat);
  const auto* x = reinterpret_cast<const T*>(spec.data_ptr());  // interleaved re, im
  const double* w = filters_.data_ptr<double>();
  float* out = mel.data_ptr<float>();
  at::parallel_for(0, n * nf, 64, [&](int64_t begin, int64_t end) {
    std::vector<double> pw(static_cast<size_t>(bins));
    for (int64_t idx = begin; idx < end; ++idx) {
      const int64_t b = idx / nf, f = idx % nf;
      const T* fr = x + 2 * (b * frames_in + f) * bins;
      for (int64_t k = 0; k < bins; ++k) {
        const double re = fr[2 * k], im = fr[2 * k + 1];
        pw[size_t(k)] = re * re + im * im;
      }
      float* o = out + b * opt_.n_mels * nf + f;
      for (int64_t m = 0; m < opt_.n_mels; ++m) {
        double sum = 0.0;
        for (int64_t k = band_[size_t(m)].first; k < band_[size_t(m)].second; ++k)
          sum += w[m * bins + k] * pw[size_t(k)];
        o[m * nf] = float(std::max(sum, 1e-10));  // mel floor of transformers' spectrogram()
      }
    }
  });
  return mel;
}

std::pair<at::Tensor, at::Tensor> WhisperLogMel::extract(
    const std::vector<at::Tensor>& waveforms) const {
  torch::NoGradGuard no_grad;
  const int64_t n = int64_t(waveforms.size()), len = chunk_samples(), nf = frames();
  if (n == 0)
    return {torch::zeros({0, opt_.n_mels, nf}, torch::kFloat), torch::zeros({0, nf}, torch::kInt)};
  const bool f64 = opt_.precision == "float64";
  auto batch = torch::zeros({n, len}, f64 ? torch::kDouble : torch::kFloat);
  auto mask = torch::zeros({n, nf}, torch::kInt);
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor w = waveforms[size_t(i)];
    if (w.dim() == 2 && w.size(0) == 1) w = w.squeeze(0);
    if (w.dim() != 1)
      throw std::invalid_argument("whisper_log_mel: waveform " + std::to_string(i) +
                                  " must be mono 1-D (or (1, T)), got shape " +
                                  c10::str(w.sizes()));
    const int64_t t = std::min(w.size(0), len);
    // transformers casts to float32 before the float64 spectrogram; the same here.
    batch[i].narrow(0, 0, t).copy_(w.narrow(0, 0, t).to(torch::kFloat).cpu());
    // mask[::hop] of the sample mask: frame j is real when j*hop < t.
    mask[i].narrow(0, 0, std::min(nf, (t + opt_.hop_length - 1) / opt_.hop_length)).fill_(1);
  }
  auto spec = torch::stft(batch, opt_.n_fft, opt_.hop_length, opt_.n_fft,
                          f64 ? window_ : window_.to(torch::kFloat), /*center=*/true,
                          /*pad_mode=*/"reflect", /*normalized=*/false, /*onesided=*/true,
                          /*return_complex=*/true);  // (N, bins, nf + 1)
  spec = spec.transpose(1, 2).contiguous();          // frame-major; no copy for stft's layout
  // The last STFT frame is dropped, as transformers does.
  auto mel = f64 ? mel_power<double>(spec, nf) : mel_power<float>(spec, nf);
  // log10 in float32: the float64 mel rounded to float32 moves log10 by < 3e-8, far below the
  // float32 output's own rounding, and float log10 is ~8x faster in LibTorch.
  auto log_spec = mel.log10_();
  auto peak = std::get<0>(log_spec.reshape({n, -1}).max(1)).view({n, 1, 1});
  log_spec = torch::maximum(log_spec, peak - 8.0f);
  return {log_spec.add_(4.0f).div_(4.0f), mask};
}

HIGGS_REGISTER(higgs::FeatureExtractor, WhisperLogMel, "whisper_log_mel",
               "Whisper log-mel spectrogram (N, n_mels, 3000) + frame mask, as transformers' "
               "WhisperFeatureExtractor computes it.");

}  // namespace higgs
