// HuBERT-base, the Higgs audio tokenizer's frozen semantic teacher (post-LN transformer with a
// conv feature extractor, as HF `HubertModel` with feat_extract_norm="group").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio_tokenizers/higgs_audio/config.h"
#include "components/audio_tokenizers/higgs_audio/ops.h"
#include "components/audio_tokenizers/higgs_audio/weights.h"

namespace higgs::higgs_audio {

class HubertModel {
 public:
  HubertModel() = default;
  HubertModel(WeightReader& r, const std::string& prefix, const TokenizerConfig& c);

  /// Calls `on_hidden` with each of the num_layers + 1 hidden states (B, T, H) of a batch of
  /// 16 kHz waveforms (B, N): after the positional embedding and layer norm, then after every
  /// layer. `lengths` are the valid samples of each item (empty: all); padded items give the
  /// same frames as alone. `out_lengths` receives the valid frames.
  void run(const at::Tensor& wave, const Lengths& lengths, Lengths* out_lengths,
           const std::function<void(const at::Tensor&)>& on_hidden) const;
  /// The mean of all hidden states (what the tokenizer uses), (B, T, H).
  at::Tensor mean_hidden_state(const at::Tensor& wave, const Lengths& lengths,
                               Lengths* out_lengths) const;
  /// One transformer layer on (B, T, H); `key_padding` (B, T) bool is true at padded frames.
  at::Tensor layer_forward(size_t i, const at::Tensor& x, const at::Tensor& key_padding = {}) const;
  /// Frames produced from `samples` samples.
  int64_t out_length(int64_t samples) const;

 private:
  struct Layer {
    at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;
    at::Tensor ln_w, ln_b, ff1_w, ff1_b, ff2_w, ff2_b, final_ln_w, final_ln_b;
  };
  at::Tensor conv_features(const at::Tensor& wave, Lengths* lengths) const;
  at::Tensor attention(const Layer& l, const at::Tensor& x, const at::Tensor& key_padding) const;

  std::vector<at::Tensor> conv_w_;
  std::vector<int64_t> kernel_, stride_;
  at::Tensor gn_w_, gn_b_;                      // group norm of the first conv layer
  at::Tensor fp_ln_w_, fp_ln_b_, fp_w_, fp_b_;  // feature projection
  at::Tensor pos_w_, pos_b_;
  int64_t pos_kernel_ = 0, pos_groups_ = 1;
  at::Tensor enc_ln_w_, enc_ln_b_;
  std::vector<Layer> layers_;
  int64_t hidden_ = 0, heads_ = 1;
  double eps_ = 1e-5;
};

/// torchaudio.functional.resample (sinc interpolation, Hann window, width 6, rolloff 0.99) of a
/// batch (B, N) from `orig` to `target` Hz, as the reference uses to feed HuBERT; the output has
/// ceil(N * target / orig) samples.
at::Tensor resample_sinc(const at::Tensor& wave, int64_t orig, int64_t target);

}  // namespace higgs::higgs_audio
