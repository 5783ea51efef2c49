#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/hubert.h"

#include <cmath>
#include <numeric>

namespace higgs::higgs_audio {

HubertModel::HubertModel(WeightReader& r, const std::string& prefix, const TokenizerConfig& c)
    : hidden_(c.semantic_hidden_size),
      heads_(c.semantic_num_heads),
      eps_(c.semantic_layer_norm_eps) {
  const std::string fe = prefix + ".feature_extractor.conv_layers.";
  int64_t in = 1;
  for (size_t i = 0; i < c.semantic_conv_dim.size(); ++i) {
    const int64_t out = c.semantic_conv_dim[i];
    conv_w_.push_back(
        r.take(fe + std::to_string(i) + ".conv.weight", {out, in, c.semantic_conv_kernel[i]}));
    if (i == 0) {
      gn_w_ = r.take(fe + "0.layer_norm.weight", {out});
      gn_b_ = r.take(fe + "0.layer_norm.bias", {out});
    }
    in = out;
  }
  kernel_ = c.semantic_conv_kernel;
  stride_ = c.semantic_conv_stride;
  const int64_t h = hidden_;
  fp_ln_w_ = r.take(prefix + ".feature_projection.layer_norm.weight", {in});
  fp_ln_b_ = r.take(prefix + ".feature_projection.layer_norm.bias", {in});
  fp_w_ = r.take(prefix + ".feature_projection.projection.weight", {h, in});
  fp_b_ = r.take(prefix + ".feature_projection.projection.bias", {h});
  r.skip(prefix + ".masked_spec_embed", {h});  // training-time masking only

  const std::string enc = prefix + ".encoder.";
  pos_kernel_ = c.semantic_pos_conv_kernel;
  pos_groups_ = c.semantic_pos_conv_groups;
  pos_b_ = r.take(enc + "pos_conv_embed.conv.bias", {h});
  // Weight norm over dim 2 (the kernel axis), stored with the parametrizations names.
  pos_w_ = r.take_weight_norm(enc + "pos_conv_embed.conv", {h, h / pos_groups_, pos_kernel_}, 2,
                              WeightNormNames::kParametrizations);
  enc_ln_w_ = r.take(enc + "layer_norm.weight", {h});
  enc_ln_b_ = r.take(enc + "layer_norm.bias", {h});
  const int64_t ff = c.semantic_intermediate_size;
  for (int64_t i = 0; i < c.semantic_num_layers; ++i) {
    const std::string p = enc + "layers." + std::to_string(i) + ".";
    Layer l;
    l.k_w = r.take(p + "attention.k_proj.weight", {h, h});
    l.k_b = r.take(p + "attention.k_proj.bias", {h});
    l.v_w = r.take(p + "attention.v_proj.weight", {h, h});
    l.v_b = r.take(p + "attention.v_proj.bias", {h});
    l.q_w = r.take(p + "attention.q_proj.weight", {h, h});
    l.q_b = r.take(p + "attention.q_proj.bias", {h});
    l.o_w = r.take(p + "attention.out_proj.weight", {h, h});
    l.o_b = r.take(p + "attention.out_proj.bias", {h});
    l.ln_w = r.take(p + "layer_norm.weight", {h});
    l.ln_b = r.take(p + "layer_norm.bias", {h});
    l.ff1_w = r.take(p + "feed_forward.intermediate_dense.weight", {ff, h});
    l.ff1_b = r.take(p + "feed_forward.intermediate_dense.bias", {ff});
    l.ff2_w = r.take(p + "feed_forward.output_dense.weight", {h, ff});
    l.ff2_b = r.take(p + "feed_forward.output_dense.bias", {h});
    l.final_ln_w = r.take(p + "final_layer_norm.weight", {h});
    l.final_ln_b = r.take(p + "final_layer_norm.bias", {h});
    layers_.push_back(std::move(l));
  }
}

int64_t HubertModel::out_length(int64_t samples) const {
  for (size_t i = 0; i < kernel_.size(); ++i)
    samples = conv_out_length(samples, kernel_[i], stride_[i], 0);
  return samples;
}

at::Tensor HubertModel::conv_features(const at::Tensor& wave, Lengths* lengths) const {
  at::Tensor x = wave.unsqueeze(1);  // (B, 1, N)
  for (size_t i = 0; i < conv_w_.size(); ++i) {
    // Unpadded convs: an item's valid frames only read its valid samples.
    x = at::conv1d(x, conv_w_[i], {}, stride_[i]);
    *lengths = map_lengths(
        *lengths, [&](int64_t l) { return conv_out_length(l, kernel_[i], stride_[i], 0); });
    if (i == 0) {
      // GroupNorm with one group per channel normalises over time, so a padded item is
      // normalised over its own frames only.
      const int64_t c = x.size(1);
      const bool padded =
          std::any_of(lengths->begin(), lengths->end(), [&](int64_t l) { return l < x.size(2); });
      if (!padded) {
        x = at::group_norm(x, c, gn_w_, gn_b_, 1e-5);
      } else {
        at::Tensor out = at::zeros_like(x);
        for (int64_t b = 0; b < x.size(0); ++b) {
          const int64_t l = (*lengths)[b];
          out[b].narrow(1, 0, l).copy_(
              at::group_norm(x[b].narrow(1, 0, l).unsqueeze(0), c, gn_w_, gn_b_, 1e-5)[0]);
        }
        x = out;
      }
    }
    x = at::gelu(x);
  }
  return x;
}

at::Tensor HubertModel::attention(const Layer& l, const at::Tensor& x,
                                  const at::Tensor& key_padding) const {
  const int64_t b = x.size(0), t = x.size(1), d = hidden_ / heads_;
  auto split = [&](const at::Tensor& y) { return y.view({b, t, heads_, d}).transpose(1, 2); };
  at::Tensor q = split(at::linear(x, l.q_w, l.q_b) * std::pow(static_cast<double>(d), -0.5));
  at::Tensor k = split(at::linear(x, l.k_w, l.k_b));
  at::Tensor v = split(at::linear(x, l.v_w, l.v_b));
  at::Tensor scores = at::matmul(q, k.transpose(-2, -1));  // (B, heads, T, T)
  if (key_padding.defined())
    scores =
        scores.masked_fill(key_padding.view({b, 1, 1, t}), -std::numeric_limits<float>::infinity());
  at::Tensor ctx = at::matmul(at::softmax(scores, -1), v);
  return at::linear(ctx.transpose(1, 2).reshape({b, t, hidden_}), l.o_w, l.o_b);
}

at::Tensor HubertModel::layer_forward(size_t i, const at::Tensor& x,
                                      const at::Tensor& key_padding) const {
  const Layer& l = layers_.at(i);
  // Post-LN (do_stable_layer_norm = false): residual, then norm.
  at::Tensor h = at::layer_norm(x + attention(l, x, key_padding), {hidden_}, l.ln_w, l.ln_b, eps_);
  at::Tensor ff = at::linear(at::gelu(at::linear(h, l.ff1_w, l.ff1_b)), l.ff2_w, l.ff2_b);
  return at::layer_norm(h + ff, {hidden_}, l.final_ln_w, l.final_ln_b, eps_);
}

void HubertModel::run(const at::Tensor& wave, const Lengths& lengths, Lengths* out_lengths,
                      const std::function<void(const at::Tensor&)>& on_hidden) const {
  Lengths len = lengths.empty() ? Lengths(wave.size(0), wave.size(1)) : lengths;
  at::Tensor x = conv_features(wave, &len).transpose(1, 2);  // (B, T, C)
  x = at::layer_norm(x, {x.size(2)}, fp_ln_w_, fp_ln_b_, eps_);
  x = at::linear(x, fp_w_, fp_b_);
  const int64_t t = x.size(1);

  // Padded frames are zeroed before the positional conv and hidden from attention.
  at::Tensor key_padding;
  if (std::any_of(len.begin(), len.end(), [t](int64_t l) { return l < t; })) {
    x = mask_time(x, len, 1);
    at::Tensor lt = torch::tensor(len, torch::kLong).to(x.device());
    key_padding = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(x.device()))
                      .unsqueeze(0) >= lt.unsqueeze(1);
  }
  at::Tensor pos =
      at::conv1d(x.transpose(1, 2), pos_w_, pos_b_, 1, pos_kernel_ / 2, 1, pos_groups_);
  if (pos_kernel_ % 2 == 0) pos = pos.narrow(2, 0, t);  // HubertSamePadLayer drops the extra frame
  x = x + at::gelu(pos).transpose(1, 2);
  x = at::layer_norm(x, {hidden_}, enc_ln_w_, enc_ln_b_, eps_);
  on_hidden(x);
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layer_forward(i, x, key_padding);
    on_hidden(x);
  }
  if (out_lengths) *out_lengths = len;
}

at::Tensor HubertModel::mean_hidden_state(const at::Tensor& wave, const Lengths& lengths,
                                          Lengths* out_lengths) const {
  at::Tensor sum;
  int64_t n = 0;
  run(wave, lengths, out_lengths, [&](const at::Tensor& h) {
    sum = sum.defined() ? sum.add_(h) : h.clone();
    ++n;
  });
  return sum / static_cast<double>(n);
}

at::Tensor resample_sinc(const at::Tensor& wave, int64_t orig, int64_t target) {
  if (orig == target) return wave;
  const int64_t g = std::gcd(orig, target);
  orig /= g;
  target /= g;
  // Kernel built with the same tensor ops, in the waveform's dtype, as torchaudio 0.13.
  const int64_t lpw = 6;
  const double base = static_cast<double>(std::min(orig, target)) * 0.99;
  const int64_t width = static_cast<int64_t>(std::ceil(lpw * orig / base));
  auto opts = wave.options();
  at::Tensor idx = torch::arange(-width, width + orig, opts).view({1, 1, -1}) / orig;
  at::Tensor t = torch::arange(0, -target, -1, opts).view({-1, 1, 1}) / target + idx;
  t *= base;
  t = t.clamp_(-lpw, lpw);
  at::Tensor window = torch::cos(t * M_PI / lpw / 2).pow(2);
  t *= M_PI;
  at::Tensor kernels = torch::where(t == 0, torch::tensor(1.0).to(t), t.sin() / t);
  kernels *= window * (base / orig);

  const int64_t n = wave.size(-1);
  at::Tensor x = wave.reshape({-1, n});
  x = torch::constant_pad_nd(x, {width, width + orig}, 0);
  at::Tensor y = at::conv1d(x.unsqueeze(1), kernels, {}, orig);  // (B, target, blocks)
  y = y.transpose(1, 2).reshape({x.size(0), -1});
  return y.narrow(1, 0, (target * n + orig - 1) / orig);
}

}  // namespace higgs::higgs_audio
