#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/dac.h"

namespace higgs::higgs_audio {

at::Tensor Conv1d::operator()(const at::Tensor& x) const {
  if (transposed) {
    // LibTorch 1.13 sends a bf16 ConvTranspose1d on CPU to the non-transposed oneDNN kernel,
    // which rejects the shapes; that one layer runs in fp32 there.
    if (x.is_cpu() && x.scalar_type() == at::kBFloat16)
      return at::conv_transpose1d(x.to(at::kFloat), weight.to(at::kFloat), bias.to(at::kFloat),
                                  stride, padding, output_padding, groups, dilation)
          .to(at::kBFloat16);
    return at::conv_transpose1d(x, weight, bias, stride, padding, output_padding, groups, dilation);
  }
  return at::conv1d(x, weight, bias, stride, padding, dilation, groups);
}

int64_t Conv1d::out_length(int64_t length) const {
  const int64_t k = weight.size(2);
  if (transposed)
    return (length - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1;
  return conv_out_length(length, k, stride, padding, dilation);
}

at::Tensor Snake1d::operator()(const at::Tensor& x) const {
  // In place on one buffer: bit-identical to x + inv_alpha * sin(alpha * x)^2 and about three
  // times faster on long waveforms, where every fresh buffer costs page faults.
  at::Tensor s = x * alpha;
  s.sin_();
  s.mul_(s);
  s.mul_(inv_alpha);
  return s.add_(x);
}

at::Tensor DacResidualUnit::operator()(const at::Tensor& x) const {
  at::Tensor y = conv2(snake2(conv1(snake1(x))));
  const int64_t pad = (x.size(-1) - y.size(-1)) / 2;  // 0 with the "same" padding used here
  if (pad > 0) return y.add_(x.narrow(-1, pad, y.size(-1)));
  return y.add_(x);
}

Conv1d read_wn_conv(WeightReader& r, const std::string& prefix, int64_t in, int64_t out,
                    int64_t kernel, int64_t stride, int64_t padding, int64_t dilation) {
  Conv1d c;
  c.weight = r.take_weight_norm(prefix, {out, in, kernel}, 0, WeightNormNames::kGV);
  c.bias = r.take(prefix + ".bias", {out});
  c.stride = stride;
  c.padding = padding;
  c.dilation = dilation;
  return c;
}

namespace {

Snake1d read_snake(WeightReader& r, const std::string& prefix, int64_t dim) {
  at::Tensor alpha = r.take(prefix + ".alpha", {1, dim, 1});
  return Snake1d{alpha, (alpha + 1e-9).reciprocal()};
}

int64_t ceil_half(int64_t s) { return (s + 1) / 2; }

}  // namespace

DacResidualUnit read_residual_unit(WeightReader& r, const std::string& prefix, int64_t dim,
                                   int64_t dilation) {
  DacResidualUnit u;
  u.snake1 = read_snake(r, prefix + ".block.0", dim);
  u.conv1 = read_wn_conv(r, prefix + ".block.1", dim, dim, 7, 1, 3 * dilation, dilation);
  u.snake2 = read_snake(r, prefix + ".block.2", dim);
  u.conv2 = read_wn_conv(r, prefix + ".block.3", dim, dim, 1);
  return u;
}

DacEncoder::DacEncoder(WeightReader& r, const std::string& prefix, int64_t d_model,
                       const std::vector<int64_t>& strides, int64_t d_latent) {
  in_conv_ = read_wn_conv(r, prefix + ".block.0", 1, d_model, 7, 1, 3);
  int64_t i = 1;
  for (int64_t s : strides) {
    const std::string p = prefix + ".block." + std::to_string(i++) + ".block.";
    Block b;
    const int64_t dims[3] = {1, 3, 9};
    for (int k = 0; k < 3; ++k)
      b.units[k] = read_residual_unit(r, p + std::to_string(k), d_model, dims[k]);
    b.snake = read_snake(r, p + "3", d_model);
    b.down = read_wn_conv(r, p + "4", d_model, 2 * d_model, 2 * s, s, ceil_half(s));
    blocks_.push_back(std::move(b));
    d_model *= 2;
  }
  out_snake_ = read_snake(r, prefix + ".block." + std::to_string(i++), d_model);
  out_conv_ = read_wn_conv(r, prefix + ".block." + std::to_string(i), d_model, d_latent, 3, 1, 1);
}

at::Tensor DacEncoder::run_block(const Block& b, at::Tensor x, Lengths* lengths) const {
  for (const auto& u : b.units) x = u(mask_time(x, *lengths, 2));
  x = b.down(b.snake(mask_time(x, *lengths, 2)));
  *lengths = map_lengths(*lengths, [&](int64_t l) { return b.down.out_length(l); });
  return x;
}

at::Tensor DacEncoder::forward(const at::Tensor& x, const Lengths& lengths,
                               Lengths* out_lengths) const {
  // Zeroing each item's tail before every padded conv makes a batched item see exactly the
  // zero padding it would see alone (Snake(0) = 0, so masking before Snake is enough).
  Lengths len = lengths;
  at::Tensor h = in_conv_(mask_time(x, len, 2));
  for (const auto& b : blocks_) h = run_block(b, h, &len);
  h = out_conv_(out_snake_(mask_time(h, len, 2)));
  if (out_lengths) *out_lengths = len.empty() ? Lengths(h.size(0), h.size(2)) : len;
  return h;
}

at::Tensor DacEncoder::block_forward(size_t i, const at::Tensor& x) const {
  Lengths none;
  return run_block(blocks_.at(i), x, &none);
}

int64_t DacEncoder::out_length(int64_t samples) const {
  int64_t l = in_conv_.out_length(samples);
  for (const auto& b : blocks_) l = b.down.out_length(l);
  return out_conv_.out_length(l);
}

DacDecoder::DacDecoder(WeightReader& r, const std::string& prefix, int64_t input_channel,
                       int64_t channels, const std::vector<int64_t>& rates) {
  in_conv_ = read_wn_conv(r, prefix + ".model.0", input_channel, channels, 7, 1, 3);
  int64_t out_dim = channels;
  for (size_t i = 0; i < rates.size(); ++i) {
    const int64_t s = rates[i];
    const int64_t in_dim = channels >> i;
    out_dim = channels >> (i + 1);
    const std::string p = prefix + ".model." + std::to_string(i + 1) + ".block.";
    Block b;
    b.snake = read_snake(r, p + "0", in_dim);
    // ConvTranspose1d weights are (in, out, k); weight norm keeps dim 0 (in).
    b.up.weight = r.take_weight_norm(p + "1", {in_dim, out_dim, 2 * s}, 0, WeightNormNames::kGV);
    b.up.bias = r.take(p + "1.bias", {out_dim});
    b.up.transposed = true;
    b.up.stride = s;
    b.up.padding = ceil_half(s);
    b.up.output_padding = s % 2;
    const int64_t dils[3] = {1, 3, 9};
    for (int k = 0; k < 3; ++k)
      b.units[k] = read_residual_unit(r, p + std::to_string(k + 2), out_dim, dils[k]);
    blocks_.push_back(std::move(b));
  }
  const size_t n = rates.size();
  out_snake_ = read_snake(r, prefix + ".model." + std::to_string(n + 1), out_dim);
  out_conv_ = read_wn_conv(r, prefix + ".model." + std::to_string(n + 2), out_dim, 1, 7, 1, 3);
}

at::Tensor DacDecoder::forward(const at::Tensor& z) const {
  at::Tensor h = in_conv_(z);
  for (const auto& b : blocks_) {
    h = b.up(b.snake(h));
    for (const auto& u : b.units) h = u(h);
  }
  return out_conv_(out_snake_(h));
}

}  // namespace higgs::higgs_audio
