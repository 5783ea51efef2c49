#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/semantic_encoder.h"

namespace higgs::higgs_audio {
namespace {
constexpr int kBlocks = 2;
constexpr int kUnits = 2;
}  // namespace

SemanticEncoder::SemanticEncoder(WeightReader& r, const std::string& prefix, int64_t c) {
  conv_w_ = r.take(prefix + ".conv.conv.weight", {c, c, 3});
  for (int i = 0; i < kBlocks; ++i) {
    const std::string p = prefix + ".conv_blocks." + std::to_string(i) + ".";
    Block b;
    for (int j = 0; j < kUnits; ++j) {
      const std::string u = p + "res_units." + std::to_string(j) + ".";
      b.units[j].conv1_w = r.take(u + "conv1.conv.weight", {c, c, 3});
      b.units[j].conv2_w = r.take(u + "conv2.weight", {c, c, 1});
    }
    b.conv_w = r.take(p + "conv.conv.weight", {c, c, 3});
    b.conv_b = r.take(p + "conv.conv.bias", {c});
    blocks_.push_back(std::move(b));
  }
}

at::Tensor SemanticEncoder::forward(const at::Tensor& x_in, const Lengths& lengths) const {
  // Masking before each k3 conv reproduces the zero padding an item sees alone (ELU(0) = 0).
  at::Tensor x = at::conv1d(mask_time(x_in, lengths, 2), conv_w_, {}, 1, 1);
  for (const auto& b : blocks_) {
    for (const auto& u : b.units) {
      at::Tensor y = at::conv1d(at::elu(mask_time(x, lengths, 2)), u.conv1_w, {}, 1, 1);
      x = x + at::conv1d(at::elu(y), u.conv2_w);
    }
    x = at::conv1d(mask_time(x, lengths, 2), b.conv_w, b.conv_b, 1, 1);
  }
  return x;
}

void skip_semantic_decoder(WeightReader& r, const std::string& prefix, int64_t c) {
  r.skip(prefix + ".conv1.conv.weight", {c, c, 3});
  for (int i = 0; i < kBlocks; ++i) {
    const std::string p = prefix + ".conv_blocks." + std::to_string(i) + ".";
    r.skip(p + "conv.conv.weight", {c, c, 3});
    r.skip(p + "conv.conv.bias", {c});
    for (int j = 0; j < kUnits; ++j) {
      const std::string u = p + "res_units." + std::to_string(j) + ".";
      r.skip(u + "conv1.conv.weight", {c, c, 3});
      r.skip(u + "conv2.weight", {c, c, 1});
    }
  }
  r.skip(prefix + ".conv2.conv.weight", {c, c, 3});
}

}  // namespace higgs::higgs_audio
