// xcodec's semantic encoder (`encoder_semantic`): conv k3, then blocks of two ELU residual units
// and a conv, all at stride 1 and width = HuBERT hidden size.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio_tokenizers/higgs_audio/ops.h"
#include "components/audio_tokenizers/higgs_audio/weights.h"

namespace higgs::higgs_audio {

class SemanticEncoder {
 public:
  SemanticEncoder() = default;
  /// The released layout: 2 blocks of 2 residual units (dilation 1), kernel 3 everywhere.
  SemanticEncoder(WeightReader& r, const std::string& prefix, int64_t channels);
  /// (B, C, T) -> (B, C, T); frames t >= lengths[b] of item b are treated as absent.
  at::Tensor forward(const at::Tensor& x, const Lengths& lengths = {}) const;

 private:
  struct Unit {
    at::Tensor conv1_w, conv2_w;
  };
  struct Block {
    Unit units[2];
    at::Tensor conv_w, conv_b;
  };
  at::Tensor conv_w_;
  std::vector<Block> blocks_;
};

/// Declares the tensors of `decoder_semantic` (used only to train the codec) so that strict
/// loading accepts them; nothing is kept.
void skip_semantic_decoder(WeightReader& r, const std::string& prefix, int64_t channels);

}  // namespace higgs::higgs_audio
