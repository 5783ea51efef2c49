// A tiny module tree with the Higgs Audio v2 parameter names (spec 1.3/1.4) and every linear
// layer an AdaptableLinear, for adapter and freezing tests. Its forward is a simplified decoder
// (non-causal single-head attention, SiLU MLPs), enough to check outputs and gradients.
#pragma once

#include <torch/torch.h>

#include "components/adapters/adaptable_linear.h"
#include "framework/train/model.h"

namespace higgs::test {

struct TinyRmsNorm : torch::nn::Module {
  explicit TinyRmsNorm(int64_t d) { weight = register_parameter("weight", torch::ones({d})); }
  at::Tensor forward(const at::Tensor& x) {
    return x * torch::rsqrt(x.pow(2).mean(-1, true) + 1e-5) * weight;
  }
  at::Tensor weight;
};

struct TinyAttention : torch::nn::Module {
  TinyAttention(int64_t d, int64_t kv) {
    q_proj = register_module("q_proj", AdaptableLinear(d, kv));
    k_proj = register_module("k_proj", AdaptableLinear(d, kv));
    v_proj = register_module("v_proj", AdaptableLinear(d, kv));
    o_proj = register_module("o_proj", AdaptableLinear(kv, d));
  }
  at::Tensor forward(const at::Tensor& x) {
    auto q = q_proj->forward(x), k = k_proj->forward(x), v = v_proj->forward(x);
    auto w = torch::softmax(q.matmul(k.transpose(-1, -2)) / std::sqrt(double(q.size(-1))), -1);
    return o_proj->forward(w.matmul(v));
  }
  AdaptableLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};

struct TinyMlp : torch::nn::Module {
  TinyMlp(int64_t d, int64_t ff) {
    gate_proj = register_module("gate_proj", AdaptableLinear(d, ff));
    up_proj = register_module("up_proj", AdaptableLinear(d, ff));
    down_proj = register_module("down_proj", AdaptableLinear(ff, d));
  }
  at::Tensor forward(const at::Tensor& x) {
    return down_proj->forward(torch::silu(gate_proj->forward(x)) * up_proj->forward(x));
  }
  AdaptableLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};

struct TinyLayer : torch::nn::Module {
  TinyLayer(int64_t d, int64_t kv, int64_t ff) {
    self_attn = register_module("self_attn", std::make_shared<TinyAttention>(d, kv));
    mlp = register_module("mlp", std::make_shared<TinyMlp>(d, ff));
    audio_mlp = register_module("audio_mlp", std::make_shared<TinyMlp>(d, ff));
    input_layernorm = register_module("input_layernorm", std::make_shared<TinyRmsNorm>(d));
    post_attention_layernorm =
        register_module("post_attention_layernorm", std::make_shared<TinyRmsNorm>(d));
    audio_input_layernorm =
        register_module("audio_input_layernorm", std::make_shared<TinyRmsNorm>(d));
    audio_post_attention_layernorm =
        register_module("audio_post_attention_layernorm", std::make_shared<TinyRmsNorm>(d));
  }
  // Text positions use the text FFN, audio positions the audio FFN (the DualFFN idea).
  at::Tensor forward(const at::Tensor& h, const at::Tensor& audio_mask) {
    auto m = audio_mask.unsqueeze(-1).to(h.scalar_type());
    auto x = h + self_attn->forward(input_layernorm->forward(h) * (1 - m) +
                                    audio_input_layernorm->forward(h) * m);
    return x + mlp->forward(post_attention_layernorm->forward(x)) * (1 - m) +
           audio_mlp->forward(audio_post_attention_layernorm->forward(x)) * m;
  }
  std::shared_ptr<TinyAttention> self_attn;
  std::shared_ptr<TinyMlp> mlp, audio_mlp;
  std::shared_ptr<TinyRmsNorm> input_layernorm, post_attention_layernorm, audio_input_layernorm,
      audio_post_attention_layernorm;
};

struct TinyDecoderProj : torch::nn::Module {
  TinyDecoderProj(int64_t d, int64_t vocab, int64_t audio_vocab) {
    text_lm_head = register_module("text_lm_head", AdaptableLinear(d, vocab));
    audio_lm_head = register_module("audio_lm_head", AdaptableLinear(d, audio_vocab));
  }
  AdaptableLinear text_lm_head{nullptr}, audio_lm_head{nullptr};
};

struct TinyHiggsNet : torch::nn::Module {
  static constexpr int64_t kDim = 16, kKv = 8, kFf = 24, kVocab = 20, kAudioVocab = 12;
  TinyHiggsNet() {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(kVocab, kDim));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < 2; ++i) layers->push_back(std::make_shared<TinyLayer>(kDim, kKv, kFf));
    norm = register_module("norm", std::make_shared<TinyRmsNorm>(kDim));
    audio_codebook_embeddings =
        register_module("audio_codebook_embeddings", torch::nn::Embedding(kAudioVocab, kDim));
    audio_decoder_proj = register_module(
        "audio_decoder_proj", std::make_shared<TinyDecoderProj>(kDim, kVocab, kAudioVocab));
  }
  /// Text logits [B, T, vocab] and audio logits [B, T, audio_vocab] for token ids whose audio
  /// positions (audio_mask) index the codebook embedding instead.
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& ids, const at::Tensor& audio_mask) {
    auto m = audio_mask.unsqueeze(-1).to(at::kFloat);
    auto h = embed_tokens->forward(ids) * (1 - m) +
             audio_codebook_embeddings->forward(ids.remainder(kAudioVocab)) * m;
    for (const auto& l : *layers) h = l->as<TinyLayer>()->forward(h, audio_mask);
    h = norm->forward(h);
    return {audio_decoder_proj->text_lm_head->forward(h),
            audio_decoder_proj->audio_lm_head->forward(h)};
  }
  torch::nn::Embedding embed_tokens{nullptr}, audio_codebook_embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};
  std::shared_ptr<TinyRmsNorm> norm;
  std::shared_ptr<TinyDecoderProj> audio_decoder_proj;
};

/// The tiny net as a higgs::Model (loss: text CE + audio CE over all positions, unshifted; the
/// tests only need a differentiable scalar that reaches every layer).
struct TinyHiggsModel : Model {
  TinyHiggsModel() : net(std::make_shared<TinyHiggsNet>()) {}
  torch::nn::Module& module() override { return *net; }
  std::vector<LossTerm> loss_terms(const Batch& b) override {
    auto [text, audio] = net->forward(b.at("ids"), b.at("audio_mask"));
    auto labels = b.at("labels");
    LossTerm t{
        "text", "text",
        torch::cross_entropy_loss(text.flatten(0, 1), labels.flatten(), {}, at::Reduction::Sum),
        labels.numel()};
    LossTerm a{"audio", "audio",
               torch::cross_entropy_loss(audio.flatten(0, 1),
                                         labels.flatten().remainder(TinyHiggsNet::kAudioVocab), {},
                                         at::Reduction::Sum),
               labels.numel()};
    return {t, a};
  }
  std::map<std::string, int64_t> target_counts(const Batch& b) const override {
    return {{"text", b.at("labels").numel()}, {"audio", b.at("labels").numel()}};
  }
  void save(const std::string&) const override {}
  Json config() const override { return Json::object(); }
  /// A fixed batch of 2 x 5 tokens, the last two of each row audio.
  static Batch batch() {
    Batch b;
    b.tensors["ids"] = torch::tensor({3, 7, 1, 9, 4, 2, 8, 6, 5, 0}, at::kLong).view({2, 5});
    b.tensors["audio_mask"] =
        torch::tensor({0, 0, 0, 1, 1, 0, 0, 0, 1, 1}, at::kLong).view({2, 5}).to(at::kBool);
    b.tensors["labels"] = torch::tensor({7, 1, 9, 4, 2, 8, 6, 5, 0, 3}, at::kLong).view({2, 5});
    b.infos.resize(2);
    return b;
  }
  std::shared_ptr<TinyHiggsNet> net;
};

/// Every parameter name of the tiny model, sorted.
inline std::vector<std::string> parameter_names(torch::nn::Module& m, bool trainable_only = false) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters(true))
    if (!trainable_only || p.value().requires_grad()) out.push_back(p.key());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace higgs::test
