// DAC acoustic encoder and decoder as used by the Higgs audio tokenizer (descript-audio-codec,
// xcodec variant): weight-normalised convolutions (folded at load), Snake activations and
// residual units with dilations 1, 3, 9.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio_tokenizers/higgs_audio/ops.h"
#include "components/audio_tokenizers/higgs_audio/weights.h"

namespace higgs::higgs_audio {

/// Conv1d (or ConvTranspose1d) with its folded weight.
struct Conv1d {
  at::Tensor weight, bias;
  int64_t stride = 1, padding = 0, dilation = 1, output_padding = 0, groups = 1;
  bool transposed = false;
  at::Tensor operator()(const at::Tensor& x) const;
  int64_t out_length(int64_t length) const;
};

/// Snake1d: x + 1/(alpha + 1e-9) * sin(alpha * x)^2, alpha per channel.
struct Snake1d {
  at::Tensor alpha, inv_alpha;  // (1, C, 1); inv_alpha = 1 / (alpha + 1e-9)
  at::Tensor operator()(const at::Tensor& x) const;
};

/// Snake, dilated conv k7, Snake, conv k1, plus the input.
struct DacResidualUnit {
  Snake1d snake1, snake2;
  Conv1d conv1, conv2;
  at::Tensor operator()(const at::Tensor& x) const;
};

/// Reads a weight-normalised Conv1d `prefix` of in -> out channels.
Conv1d read_wn_conv(WeightReader& r, const std::string& prefix, int64_t in, int64_t out,
                    int64_t kernel, int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1);
DacResidualUnit read_residual_unit(WeightReader& r, const std::string& prefix, int64_t dim,
                                   int64_t dilation);

/// dac.Encoder(d_model, strides, d_latent): waveform (B, 1, L) -> latent (B, d_latent, T).
class DacEncoder {
 public:
  DacEncoder() = default;
  DacEncoder(WeightReader& r, const std::string& prefix, int64_t d_model,
             const std::vector<int64_t>& strides, int64_t d_latent);

  /// `lengths` are the valid samples of each item of a zero-padded batch (empty: all valid);
  /// frames of an item equal those of the item encoded alone. `out_lengths` receives frames.
  at::Tensor forward(const at::Tensor& x, const Lengths& lengths = {},
                     Lengths* out_lengths = nullptr) const;
  /// EncoderBlock i alone (three residual units, Snake, strided conv), for tests.
  at::Tensor block_forward(size_t i, const at::Tensor& x) const;
  size_t num_blocks() const { return blocks_.size(); }
  /// Frames produced from `samples` samples.
  int64_t out_length(int64_t samples) const;

 private:
  struct Block {
    DacResidualUnit units[3];
    Snake1d snake;
    Conv1d down;
  };
  at::Tensor run_block(const Block& b, at::Tensor x, Lengths* lengths) const;
  Conv1d in_conv_, out_conv_;
  std::vector<Block> blocks_;
  Snake1d out_snake_;
};

/// dac.Decoder(input_channel, channels, rates): latent (B, C, T) -> waveform (B, 1, T * hop).
class DacDecoder {
 public:
  DacDecoder() = default;
  DacDecoder(WeightReader& r, const std::string& prefix, int64_t input_channel, int64_t channels,
             const std::vector<int64_t>& rates);
  at::Tensor forward(const at::Tensor& z) const;

 private:
  struct Block {
    Snake1d snake;
    Conv1d up;
    DacResidualUnit units[3];
  };
  Conv1d in_conv_, out_conv_;
  std::vector<Block> blocks_;
  Snake1d out_snake_;
};

}  // namespace higgs::higgs_audio
