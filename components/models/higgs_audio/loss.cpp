#include "components/models/higgs_audio/loss.h"

#include <stdexcept>

namespace higgs::higgs_audio {
namespace {

constexpr int64_t kIgnore = -100;

LossTerm make_term(std::string name, std::string group, double weight) {
  LossTerm t;
  t.name = std::move(name);
  t.group = std::move(group);
  t.weight = weight;
  return t;
}

// CE sum, count and argmax hits of `logits` (N, C) against `targets` (N,), all non-ignored.
void fill(LossTerm& t, const torch::Tensor& logits, const torch::Tensor& targets) {
  t.sum = torch::nn::functional::cross_entropy(
      logits, targets, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  t.count = targets.numel();
  t.correct = logits.argmax(-1).eq(targets).sum().item<int64_t>();
}

// Label tensor of the audio stream, checked against the number of audio-out positions.
torch::Tensor audio_labels(const Batch& batch, int64_t num_codebooks, int64_t n_out) {
  if (!batch.has("label_audio_ids") || batch.at("label_audio_ids").numel() == 0)
    return torch::Tensor();
  auto labels = batch.at("label_audio_ids");
  if (labels.dim() != 2 || labels.size(0) != num_codebooks || labels.size(1) != n_out) {
    std::ostringstream m;
    m << "label_audio_ids has shape " << labels.sizes() << " but the batch has " << n_out
      << " audio-out columns and the model " << num_codebooks
      << " codebooks; it must match audio_out_ids";
    throw std::runtime_error(m.str());
  }
  return labels;
}

}  // namespace

double codebook_term_weight(const LossOptions& o, int64_t k, int64_t num_codebooks) {
  double w = o.codebook_weights.empty() ? 1.0 : o.codebook_weights.at(k);
  w *= o.audio_loss_weight;
  return o.reduction == "sum" ? w : w / static_cast<double>(num_codebooks);
}

std::vector<LossTerm> compute_loss_terms(HiggsAudioModelImpl& model, const Batch& batch,
                                         const LossOptions& opts) {
  const auto& cfg = model.config();
  const int64_t k_books = cfg.audio_num_codebooks;
  if (!opts.codebook_weights.empty() &&
      static_cast<int64_t>(opts.codebook_weights.size()) != k_books)
    throw std::runtime_error("codebook_weights has " +
                             std::to_string(opts.codebook_weights.size()) +
                             " entries; the model has " + std::to_string(k_books) + " codebooks");
  ForwardOptions fo;
  fo.text_logits = false;
  ForwardOutput out = model.forward(batch, fo);
  const auto dev = out.hidden.device();
  auto zero = out.hidden.sum().to(torch::kFloat32) * 0.0;  // keeps an empty term in the graph

  std::vector<LossTerm> terms;
  // Text: position j predicts expanded label j+1.
  LossTerm text = make_term("text", "text", opts.text_loss_weight);
  text.sum = zero;
  text.count = 0;
  text.correct = 0;
  if (out.merge.labels.defined() && out.merge.length > 1) {
    const int64_t len = out.merge.length;
    auto next = out.merge.labels.slice(1, 1, len);  // (B, L'-1)
    auto valid = next.ne(kIgnore);
    if (valid.any().item<bool>()) {
      auto pos = valid.nonzero();  // (N, 2): b, j
      auto flat = (pos.select(1, 0) * len + pos.select(1, 1)).to(dev);
      auto targets = next.masked_select(valid).to(dev);
      auto rows = out.hidden.reshape({-1, out.hidden.size(-1)}).index_select(0, flat);
      auto logits = model.audio_decoder_proj->text_lm_head(rows).to(torch::kFloat32);
      fill(text, logits, targets);
    }
  }
  terms.push_back(std::move(text));

  // Audio: audio_logits row j (column j of the concatenated stream) predicts labels[:, j+1].
  const int64_t n_out = out.audio_logits.defined() ? out.audio_logits.size(0) : 0;
  auto labels = audio_labels(batch, k_books, n_out);
  for (int64_t k = 0; k < k_books; ++k) {
    LossTerm t =
        make_term("audio_cb" + std::to_string(k), "audio", codebook_term_weight(opts, k, k_books));
    t.sum = zero;
    t.count = 0;
    t.correct = 0;
    if (labels.defined() && n_out > 1) {
      auto target = labels.select(0, k).slice(0, 1, n_out).to(dev);
      auto valid = target.ne(kIgnore);
      if (valid.any().item<bool>()) {
        auto idx = valid.nonzero().view({-1});
        auto logits = out.audio_logits.select(1, k).slice(0, 0, n_out - 1).index_select(0, idx);
        fill(t, logits, target.index_select(0, idx));
      }
    }
    terms.push_back(std::move(t));
  }
  return terms;
}

std::map<std::string, int64_t> count_targets(const HiggsAudioModelImpl& model, const Batch& batch) {
  std::map<std::string, int64_t> out;
  MergePlan p = model.plan(batch);
  out["text"] = 0;
  if (p.labels.defined() && p.length > 1)
    out["text"] = p.labels.slice(1, 1, p.length).ne(kIgnore).sum().item<int64_t>();
  const int64_t k_books = model.config().audio_num_codebooks;
  auto labels = audio_labels(batch, k_books, p.audio_out_dst.numel());
  for (int64_t k = 0; k < k_books; ++k) {
    int64_t n = 0;
    if (labels.defined() && labels.size(1) > 1)
      n = labels.select(0, k).slice(0, 1).ne(kIgnore).sum().item<int64_t>();
    out["audio_cb" + std::to_string(k)] = n;
  }
  return out;
}

}  // namespace higgs::higgs_audio
