// Resemblyzer's GE2E speaker encoder (Wan et al., "Generalized End-to-End Loss for Speaker
// Verification"), run in LibTorch from the trained weights the PyPI package `resemblyzer` ships
// (resemblyzer/pretrained.pt, legacy torch.save format): 40-band mel power spectrogram of 16 kHz
// audio (25 ms windows, 10 ms hop), a 3-layer LSTM of 256, a linear layer to 256 with ReLU, L2
// normalised; an utterance is embedded as the normalised mean of the embeddings of its 1.6 s
// partials (1.3 per second), as resemblyzer's VoiceEncoder.embed_utterance does.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::generation {

class Ge2eSpeakerEncoder {
 public:
  /// Loads `weights` (resemblyzer's pretrained.pt: {"model_state": state dict, ...}).
  explicit Ge2eSpeakerEncoder(const std::string& weights);
  ~Ge2eSpeakerEncoder();
  Ge2eSpeakerEncoder(const Ge2eSpeakerEncoder&) = delete;
  Ge2eSpeakerEncoder& operator=(const Ge2eSpeakerEncoder&) = delete;

  static constexpr int kSampleRate = 16000;

  /// resemblyzer's preprocessing without its webrtcvad silence trimming: resampled to 16 kHz and
  /// raised (never lowered) to -30 dBFS.
  static std::vector<float> preprocess(const std::vector<float>& samples, int sample_rate);
  /// The (frames, 40) mel power spectrogram of 16 kHz audio (librosa.feature.melspectrogram).
  at::Tensor mel_spectrogram(const std::vector<float>& wav16k) const;
  /// The (256,) unit-norm embedding of a preprocessed 16 kHz utterance.
  at::Tensor embed_utterance(std::vector<float> wav16k) const;

 private:
  struct Net;
  std::unique_ptr<Net> net_;
  at::Tensor mel_filters_, window_;
};

}  // namespace higgs::generation
