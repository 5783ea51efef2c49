#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/rvq.h"

namespace higgs::higgs_audio {

ResidualVq::ResidualVq(WeightReader& r, const std::string& prefix, int64_t num_quantizers,
                       int64_t dim, int64_t codebook_dim, int64_t bins) {
  for (int64_t i = 0; i < num_quantizers; ++i) {
    const std::string p = prefix + ".layers." + std::to_string(i) + ".";
    Layer l;
    l.in_w = r.take(p + "project_in.weight", {codebook_dim, dim});
    l.in_b = r.take(p + "project_in.bias", {codebook_dim});
    l.out_w = r.take(p + "project_out.weight", {dim, codebook_dim});
    l.out_b = r.take(p + "project_out.bias", {dim});
    r.skip(p + "_codebook.inited", {1});  // EMA training state
    r.skip(p + "_codebook.cluster_size", {bins});
    l.embed = r.take(p + "_codebook.embed", {bins, codebook_dim});
    r.skip(p + "_codebook.embed_avg", {bins, codebook_dim});
    if (!r.spec_only()) l.embed_sq = l.embed.pow(2).sum(1, true).t();  // (1, bins)
    layers_.push_back(std::move(l));
  }
}

at::Tensor ResidualVq::nearest(size_t i, const at::Tensor& z) const {
  const Layer& l = layers_.at(i);
  // Same expression as the reference: argmax of -(|z|^2 - 2 z.e + |e|^2).
  at::Tensor dist = -(z.pow(2).sum(1, true) - 2 * at::matmul(z, l.embed.t()) + l.embed_sq);
  return std::get<1>(dist.max(-1));
}

at::Tensor ResidualVq::encode(const at::Tensor& x) const {
  const int64_t b = x.size(0), t = x.size(2);
  at::Tensor residual = x.transpose(1, 2).reshape({b * t, x.size(1)});
  std::vector<at::Tensor> codes;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    at::Tensor idx = nearest(i, at::linear(residual, l.in_w, l.in_b));
    residual = residual - at::linear(at::embedding(l.embed, idx), l.out_w, l.out_b);
    codes.push_back(idx.view({b, t}));
  }
  return at::stack(codes);
}

at::Tensor ResidualVq::decode(const at::Tensor& codes) const {
  at::Tensor out;
  for (int64_t i = 0; i < codes.size(0); ++i) {
    const Layer& l = layers_.at(i);
    at::Tensor q = at::linear(at::embedding(l.embed, codes[i]), l.out_w, l.out_b);  // (B, T, dim)
    out = out.defined() ? out + q : q;
  }
  return out.transpose(1, 2);
}

}  // namespace higgs::higgs_audio
