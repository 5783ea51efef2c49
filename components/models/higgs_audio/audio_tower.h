// The Whisper-style audio tower of Higgs Audio (`HiggsAudioEncoder`) and its projector
// (`HiggsAudioFeatureProjector`), built when the config has skip_audio_tower: false. Parameter
// names are the reference's under "audio_tower." and "audio_encoder_proj."
// (docs/model-and-loss.md).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <utility>

#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/layers.h"

namespace higgs::higgs_audio {

/// Lengths after the tower's two length changes for `mel_frames` valid feature frames
/// (`_get_feat_extract_output_lengths`, floor division): conv2 (stride 2) gives
/// (n - 1) // 2 + 1, then the average pooling (kernel 2, stride 2) gives (m - 2) // 2 + 1.
std::pair<int64_t, int64_t> audio_tower_lengths(int64_t mel_frames);

/// WhisperAttention (encoder self-attention): q/v/out projections with bias, k_proj without.
class WhisperAttentionImpl : public torch::nn::Module {
 public:
  WhisperAttentionImpl(int64_t dim, int64_t heads, double dropout);
  /// x (N, T, d); key_mask (N, 1, 1, T) additive (0 or the dtype's lowest) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask);
  LinearLayer k_proj{nullptr}, v_proj{nullptr}, q_proj{nullptr}, out_proj{nullptr};
  int64_t heads, head_dim;
  double dropout;
};
TORCH_MODULE(WhisperAttention);

/// WhisperEncoderLayer: pre-LayerNorm self-attention and GELU feed-forward, both residual.
class WhisperEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit WhisperEncoderLayerImpl(const AudioEncoderConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask);
  WhisperAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  LinearLayer fc1{nullptr}, fc2{nullptr};
  double dropout, activation_dropout;
};
TORCH_MODULE(WhisperEncoderLayer);

/// HiggsAudioEncoder: conv1 (k3) + GELU, conv2 (k3, stride 2) + GELU, + embed_positions, the
/// encoder layers, average pooling (2, stride 2), then the final layer_norm.
class AudioTowerImpl : public torch::nn::Module {
 public:
  explicit AudioTowerImpl(const AudioEncoderConfig& c);
  /// features (N, num_mel_bins, 2 * max_source_positions), any float dtype; feature_mask (N, F)
  /// with 1 on valid frames (or undefined: all valid). Key frames past each window's valid
  /// length are masked in attention. Returns (N, max_source_positions / 2, d_model).
  torch::Tensor forward(const torch::Tensor& features, const torch::Tensor& feature_mask);
  /// Mel frames the tower takes: max_source_positions * conv1 stride (1) * conv2 stride (2).
  int64_t expected_frames() const { return 2 * cfg_.max_source_positions; }

  /// Boson's model runs its tower with transformers' eager attention, which *adds* the boolean
  /// padding mask to the scores (+1 on valid frames, +0 on padded ones) instead of masking, so
  /// padded frames of a partial window are attended (docs/fidelity.md). true reproduces that;
  /// false (the default) masks them, as Boson's tower does with SDPA attention.
  bool reference_eager_padding = false;

  torch::nn::Conv1d conv1{nullptr}, conv2{nullptr};
  torch::nn::Embedding embed_positions{nullptr};  // requires_grad false, as the reference
  torch::nn::ModuleList layers{nullptr};
  std::vector<WhisperEncoderLayer> layer_list;
  torch::nn::LayerNorm layer_norm{nullptr};

 private:
  AudioEncoderConfig cfg_;
};
TORCH_MODULE(AudioTower);

/// HiggsAudioFeatureProjector: one Linear(d_model -> text hidden_size) with bias.
class AudioFeatureProjectorImpl : public torch::nn::Module {
 public:
  explicit AudioFeatureProjectorImpl(const HiggsAudioConfig& c);
  torch::Tensor forward(const torch::Tensor& x) { return linear(x); }
  LinearLayer linear{nullptr};
};
TORCH_MODULE(AudioFeatureProjector);

}  // namespace higgs::higgs_audio
