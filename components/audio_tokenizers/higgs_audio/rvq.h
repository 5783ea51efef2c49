// Residual vector quantizer of the Higgs audio tokenizer (xcodec core_vq_lsx_version): each
// layer projects the residual to codebook_dim, picks the nearest codeword (Euclidean), projects
// it back and subtracts it.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio_tokenizers/higgs_audio/weights.h"

namespace higgs::higgs_audio {

class ResidualVq {
 public:
  ResidualVq() = default;
  ResidualVq(WeightReader& r, const std::string& prefix, int64_t num_quantizers, int64_t dim,
             int64_t codebook_dim, int64_t bins);

  /// (B, dim, T) -> codes (n_q, B, T) int64.
  at::Tensor encode(const at::Tensor& x) const;
  /// codes (n_q, B, T) -> (B, dim, T): sum of project_out(codebook[code]).
  at::Tensor decode(const at::Tensor& codes) const;
  /// Index of the nearest codeword of layer `i` for each row of z (N, codebook_dim).
  at::Tensor nearest(size_t i, const at::Tensor& z) const;
  /// Codebook of layer i (bins, codebook_dim).
  const at::Tensor& codebook(size_t i) const { return layers_.at(i).embed; }
  size_t num_quantizers() const { return layers_.size(); }

 private:
  struct Layer {
    at::Tensor in_w, in_b, out_w, out_b, embed, embed_sq;  // embed_sq: |e|^2 per codeword
  };
  std::vector<Layer> layers_;
};

}  // namespace higgs::higgs_audio
