#include <torch/torch.h>

#include "components/generation/speaker_encoder.h"

#include <cmath>
#include <stdexcept>

#include "components/audio/audio_io.h"
#include "components/audio/whisper_log_mel.h"
#include "framework/tensor_io/pth_reader.h"

namespace higgs::generation {
namespace {

constexpr int64_t kFft = 400;  // 25 ms at 16 kHz
constexpr int64_t kHop = 160;  // 10 ms
constexpr int64_t kMels = 40;
constexpr int64_t kPartialFrames = 160;  // 1.6 s
constexpr double kPartialsPerSecond = 1.3;
constexpr double kMinCoverage = 0.75;
constexpr double kTargetDbfs = -30.0;

}  // namespace

struct Ge2eSpeakerEncoder::Net {
  torch::nn::LSTM lstm{torch::nn::LSTMOptions(kMels, 256).num_layers(3).batch_first(true)};
  torch::nn::Linear linear{256, 256};
};

Ge2eSpeakerEncoder::Ge2eSpeakerEncoder(const std::string& weights) : net_(std::make_unique<Net>()) {
  const auto state = tensor_io::read_pth(weights, "model_state");
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, at::Tensor target) {
    auto it = state.find(name);
    if (it == state.end())
      throw std::runtime_error(weights + ": no tensor " + name +
                               " (not resemblyzer's GE2E voice encoder?)");
    if (it->second.sizes() != target.sizes())
      throw std::runtime_error(weights + ": " + name + " has shape " +
                               c10::str(it->second.sizes()) + ", expected " +
                               c10::str(target.sizes()));
    target.copy_(it->second);
  };
  for (const auto& p : net_->lstm->named_parameters()) load("lstm." + p.key(), p.value());
  load("linear.weight", net_->linear->weight);
  load("linear.bias", net_->linear->bias);
  net_->lstm->eval();
  mel_filters_ =
      slaney_mel_filters(kMels, kFft, kSampleRate, 0.0, kSampleRate / 2.0).to(torch::kFloat);
  window_ = torch::hann_window(kFft, /*periodic=*/true, torch::kFloat);
}

Ge2eSpeakerEncoder::~Ge2eSpeakerEncoder() = default;

std::vector<float> Ge2eSpeakerEncoder::preprocess(const std::vector<float>& samples,
                                                  int sample_rate) {
  std::vector<float> wav =
      sample_rate == kSampleRate ? samples : resample(samples, sample_rate, kSampleRate);
  double energy = 0;
  for (float x : wav) energy += double(x) * x;
  const double rms = wav.empty() ? 0.0 : std::sqrt(energy / double(wav.size()));
  if (rms <= 0) return wav;
  const double change = kTargetDbfs - 20.0 * std::log10(rms);
  if (change > 0) {  // increase only, as resemblyzer's normalize_volume(increase_only=True)
    const auto gain = static_cast<float>(std::pow(10.0, change / 20.0));
    for (auto& x : wav) x *= gain;
  }
  return wav;
}

at::Tensor Ge2eSpeakerEncoder::mel_spectrogram(const std::vector<float>& wav16k) const {
  at::Tensor x = torch::from_blob(const_cast<float*>(wav16k.data()),
                                  {static_cast<int64_t>(wav16k.size())}, torch::kFloat)
                     .clone();
  // librosa.stft(center=True, pad_mode="constant"): n_fft/2 zeros on each side.
  x = torch::constant_pad_nd(x, {kFft / 2, kFft / 2}, 0.0);
  at::Tensor spec = torch::stft(x, kFft, kHop, kFft, window_, /*normalized=*/false,
                                /*onesided=*/true, /*return_complex=*/true);
  at::Tensor power = spec.abs().pow(2);                        // (bins, frames)
  return torch::matmul(mel_filters_, power).t().contiguous();  // (frames, 40)
}

at::Tensor Ge2eSpeakerEncoder::embed_utterance(std::vector<float> wav) const {
  // resemblyzer's compute_partial_slices(len(wav), rate=1.3, min_coverage=0.75).
  const auto n = static_cast<int64_t>(wav.size());
  const int64_t n_frames = (n + 1 + kHop - 1) / kHop;
  const auto step = static_cast<int64_t>(std::lround((kSampleRate / kPartialsPerSecond) / kHop));
  const int64_t steps = std::max<int64_t>(1, n_frames - kPartialFrames + step + 1);
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < steps; i += step) starts.push_back(i);
  const double coverage = double(n - starts.back() * kHop) / double(kPartialFrames * kHop);
  if (coverage < kMinCoverage && starts.size() > 1) starts.pop_back();
  const size_t needed = static_cast<size_t>((starts.back() + kPartialFrames) * kHop);
  if (needed >= wav.size()) wav.resize(needed, 0.0f);
  const at::Tensor mel = mel_spectrogram(wav);
  std::vector<at::Tensor> partials;
  for (int64_t s : starts) partials.push_back(mel.slice(0, s, s + kPartialFrames));
  torch::NoGradGuard no_grad;
  const auto out = net_->lstm->forward(torch::stack(partials));  // (P, 160, 40)
  const at::Tensor hidden = std::get<0>(std::get<1>(out))[-1];   // last layer's final h: (P, 256)
  at::Tensor e = torch::relu(net_->linear->forward(hidden));
  e = e / e.norm(2, 1, true);
  const at::Tensor mean = e.mean(0);
  return mean / mean.norm();
}

}  // namespace higgs::generation
