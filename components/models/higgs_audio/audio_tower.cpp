#include "components/models/higgs_audio/audio_tower.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "components/models/higgs_audio/layers.h"

namespace higgs::higgs_audio {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

torch::nn::LayerNorm make_layer_norm(int64_t d) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-5));
}

}  // namespace

std::pair<int64_t, int64_t> audio_tower_lengths(int64_t mel_frames) {
  const int64_t conv = floor_div(mel_frames - 1, 2) + 1;
  return {conv, floor_div(conv - 2, 2) + 1};
}

WhisperAttentionImpl::WhisperAttentionImpl(int64_t dim, int64_t heads_, double dropout_)
    : heads(heads_), head_dim(dim / heads_), dropout(dropout_) {
  k_proj = register_module("k_proj", make_linear(dim, dim, false));
  v_proj = register_module("v_proj", make_linear(dim, dim, true));
  q_proj = register_module("q_proj", make_linear(dim, dim, true));
  out_proj = register_module("out_proj", make_linear(dim, dim, true));
}

torch::Tensor WhisperAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask) {
  const int64_t n = x.size(0), t = x.size(1);
  auto split = [&](const torch::Tensor& y) {
    return y.view({n, t, heads, head_dim}).transpose(1, 2);
  };
  auto q = split(q_proj(x)), k = split(k_proj(x)), v = split(v_proj(x));
  torch::Tensor out;
  if (dropout > 0.0 && is_training()) {
    auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim));
    if (key_mask.defined()) scores = scores + key_mask;
    auto probs = torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
    out = torch::matmul(torch::dropout(probs, dropout, true), v);
  } else {
    out = attention(q, k, v, key_mask);
  }
  return out_proj(out.transpose(1, 2).reshape({n, t, heads * head_dim}));
}

WhisperEncoderLayerImpl::WhisperEncoderLayerImpl(const AudioEncoderConfig& c)
    : dropout(c.dropout), activation_dropout(c.activation_dropout) {
  self_attn = register_module(
      "self_attn", WhisperAttention(c.d_model, c.encoder_attention_heads, c.attention_dropout));
  self_attn_layer_norm = register_module("self_attn_layer_norm", make_layer_norm(c.d_model));
  fc1 = register_module("fc1", make_linear(c.d_model, c.encoder_ffn_dim, true));
  fc2 = register_module("fc2", make_linear(c.encoder_ffn_dim, c.d_model, true));
  final_layer_norm = register_module("final_layer_norm", make_layer_norm(c.d_model));
}

torch::Tensor WhisperEncoderLayerImpl::forward(const torch::Tensor& x,
                                               const torch::Tensor& key_mask) {
  const bool train = is_training();
  auto h = self_attn(self_attn_layer_norm(x), key_mask);
  auto x1 = x + torch::dropout(h, dropout, train);
  auto f = torch::dropout(torch::gelu(fc1(final_layer_norm(x1))), activation_dropout, train);
  return x1 + torch::dropout(fc2(f), dropout, train);
}

AudioTowerImpl::AudioTowerImpl(const AudioEncoderConfig& c) : cfg_(c) {
  const int64_t d = c.d_model;
  conv1 = register_module(
      "conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(c.num_mel_bins, d, 3).padding(1)));
  conv2 = register_module(
      "conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(d, d, 3).stride(2).padding(1)));
  embed_positions =
      register_module("embed_positions",
                      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.max_source_positions, d)));
  embed_positions->weight.requires_grad_(false);
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.encoder_layers; ++i) {
    layer_list.push_back(WhisperEncoderLayer(c));
    layers->push_back(layer_list.back());
  }
  layer_norm = register_module("layer_norm", make_layer_norm(d));
}

torch::Tensor AudioTowerImpl::forward(const torch::Tensor& features,
                                      const torch::Tensor& feature_mask) {
  const auto& w = conv1->weight;
  if (features.dim() != 3 || features.size(1) != cfg_.num_mel_bins ||
      features.size(2) != expected_frames()) {
    std::ostringstream m;
    m << "audio tower: audio_features have shape " << features.sizes()
      << " but the model's audio_encoder_config needs (N, num_mel_bins " << cfg_.num_mel_bins
      << ", " << expected_frames() << " frames = 2 * max_source_positions "
      << cfg_.max_source_positions
      << "); make the feature extractor's n_mels and window (chunk_seconds * sample_rate / "
         "hop_length) match";
    throw std::invalid_argument(m.str());
  }
  const int64_t n = features.size(0);
  auto x = torch::gelu(conv1(features.to(w.device(), w.scalar_type(), /*non_blocking=*/true)));
  x = torch::gelu(conv2(x)).permute({0, 2, 1});  // (N, T, d), T = max_source_positions
  const int64_t t = x.size(1);
  x = torch::dropout(x + embed_positions->weight, cfg_.dropout, is_training());

  torch::Tensor key_mask;  // additive (N, 1, 1, T): frames past each window's length are masked
  if (feature_mask.defined()) {
    if (feature_mask.dim() != 2 || feature_mask.size(0) != n ||
        feature_mask.size(1) != features.size(2))
      throw std::invalid_argument("audio tower: audio_feature_attention_mask must be (N, " +
                                  std::to_string(features.size(2)) + ") for " + std::to_string(n) +
                                  " feature windows");
    auto valid = feature_mask.to(torch::kCPU, torch::kInt64).sum(-1);
    auto conv_len = torch::div(valid - 1, 2, "floor") + 1;
    auto keep = torch::arange(t, torch::kInt64).unsqueeze(0) < conv_len.unsqueeze(1);
    key_mask = reference_eager_padding
                   ? keep.view({n, 1, 1, t}).to(x.device(), x.scalar_type())  // +1 where valid
                   : torch::zeros({n, 1, 1, t}, x.options())
                         .masked_fill(keep.logical_not().view({n, 1, 1, t}).to(x.device()),
                                      mask_lowest(x.scalar_type()));
  }
  for (auto& layer : layer_list) x = layer->forward(x, key_mask);
  x = torch::avg_pool1d(x.permute({0, 2, 1}), {2}, {2}).permute({0, 2, 1});
  return layer_norm(x);
}

AudioFeatureProjectorImpl::AudioFeatureProjectorImpl(const HiggsAudioConfig& c) {
  linear = register_module(
      "linear", make_linear(c.audio_encoder_config.d_model, c.text_config.hidden_size, true));
}

}  // namespace higgs::higgs_audio
