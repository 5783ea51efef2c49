// HiggsAudioModel: the Higgs Audio v2 network in training mode (spec 2.1), with the released
// checkpoint's parameter names (no "model." prefix) and strict state-dict loading.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "components/models/higgs_audio/audio_placeholders.h"
#include "components/models/higgs_audio/audio_tower.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/kv_cache.h"
#include "components/models/higgs_audio/layers.h"
#include "framework/train/types.h"

namespace higgs::higgs_audio {

/// text_lm_head and audio_lm_head (HiggsAudioDecoderProjector with no extra layers).
class DecoderProjectorImpl : public torch::nn::Module {
 public:
  explicit DecoderProjectorImpl(const HiggsAudioConfig& c);
  LinearLayer text_lm_head{nullptr}, audio_lm_head{nullptr};
};
TORCH_MODULE(DecoderProjector);

struct ForwardOptions {
  bool text_logits = true;  // false: skip the (B, L', vocab) text head (the loss computes its own)
};

struct ForwardOutput {
  torch::Tensor hidden;        // (B, L', H) after the final norm
  torch::Tensor logits;        // (B, L', vocab) or undefined
  torch::Tensor audio_logits;  // (N_out, K, codebook_size + 2), float32
  MergePlan merge;             // expanded ids, labels, masks, position ids
};

/// The network. Parameters are registered under the checkpoint names (see model_info()).
class HiggsAudioModelImpl : public torch::nn::Module {
 public:
  explicit HiggsAudioModelImpl(HiggsAudioConfig cfg, torch::ScalarType dtype = torch::kFloat32);

  /// Forward pass over a collated batch (HiggsAudioBatchInput names).
  ForwardOutput forward(const Batch& batch, const ForwardOptions& opts = {});
  /// Sum over codebooks of the shifted code embeddings, (K, T) -> (T, H).
  torch::Tensor embed_audio_ids(const torch::Tensor& codes);
  /// Merge plan for a batch (integer work only; also used to count targets).
  MergePlan plan(const Batch& batch) const;

  /// Incremental forward (incremental.cpp) for decoding: `embeds` (1, L, H) are the next L
  /// positions after the `cache.length` already cached, `audio_mask` (1, L) routes them through
  /// the audio path (DualFFN). Returns the normed hidden states (1, L, H) and extends the cache.
  /// Equals forward() on the whole unpadded sequence (position ids continue from the cache).
  torch::Tensor forward_cached(const torch::Tensor& embeds, const torch::Tensor& audio_mask,
                               KVCache& cache);
  /// Text logits (..., vocab) and audio logits (..., K, codebook_size + 2, float32) of hidden
  /// states from forward_cached.
  torch::Tensor text_logits(const torch::Tensor& hidden);
  torch::Tensor audio_logits(const torch::Tensor& hidden);

  /// N(0, std) for Linear/Embedding weights, zero padding row, norms one; seeded, on the CPU.
  void init_weights(uint64_t seed, double std);

  /// Parameters of the model's own layout (adapter weights, e.g. LoRA, excluded).
  torch::OrderedDict<std::string, torch::Tensor> base_parameters() const;
  /// name -> tensor for every base parameter (views, not copies).
  std::map<std::string, torch::Tensor> state_dict() const;
  /// Copies tensors into the parameters one at a time. Strict: lists every missing and unexpected
  /// name and every shape mismatch in one error. `fetch(name)` may load lazily.
  /// Parameters for which `may_be_missing(name)` is true may be absent from `names` (they keep
  /// their current values).
  void load_state_dict(const std::vector<std::string>& names,
                       const std::function<torch::Tensor(const std::string&)>& fetch,
                       const std::string& source,
                       const std::function<bool(const std::string&)>& may_be_missing = nullptr);
  /// Copies the encoder of a Whisper checkpoint in the Hugging Face layout (a directory holding
  /// model.safetensors or a sharded index, e.g. openai/whisper-large-v3) into audio_tower:
  /// "model.encoder.X" (WhisperForConditionalGeneration) or "encoder.X" (WhisperModel) ->
  /// "audio_tower.X"; decoder and head tensors are ignored. Strict for the tower: every tower
  /// parameter must be there with its shape. Returns the number of tensors copied.
  int64_t load_whisper_encoder(const std::string& dir);
  void load_state_dict(const std::map<std::string, torch::Tensor>& tensors,
                       const std::string& source = "state dict");

  const HiggsAudioConfig& config() const { return cfg_; }
  bool gradient_checkpointing = false;

  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  std::vector<DecoderLayer> layer_list;
  RMSNorm norm{nullptr};
  torch::nn::Embedding audio_codebook_embeddings{nullptr};
  LinearLayer audio_out_embed_projector{nullptr};
  DecoderProjector audio_decoder_proj{nullptr};
  AudioTower audio_tower{nullptr};                    // only when !skip_audio_tower
  AudioFeatureProjector audio_encoder_proj{nullptr};  // only when !skip_audio_tower

 private:
  HiggsAudioConfig cfg_;
  torch::Tensor inv_freq_;
};
TORCH_MODULE(HiggsAudioModel);

/// Runs `layer` like layer->forward(x, in) but keeps only x for backward and recomputes the layer
/// there (activation checkpointing). Gradients equal the plain path.
torch::Tensor checkpointed_layer(DecoderLayer& layer, const torch::Tensor& x,
                                 const LayerInputs& in);

}  // namespace higgs::higgs_audio
