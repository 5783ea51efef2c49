#include "components/models/higgs_audio/model.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "components/models/higgs_audio/weights_io.h"
#include "framework/tensor_io/finite_check.h"

namespace higgs::higgs_audio {

DecoderProjectorImpl::DecoderProjectorImpl(const HiggsAudioConfig& c) {
  const int64_t h = c.text_config.hidden_size;
  text_lm_head = register_module("text_lm_head", make_linear(h, c.text_config.vocab_size, false));
  audio_lm_head = register_module("audio_lm_head",
                                  make_linear(h, c.audio_num_codebooks * c.codebook_rows(), false));
}

HiggsAudioModelImpl::HiggsAudioModelImpl(HiggsAudioConfig cfg, torch::ScalarType dtype)
    : cfg_(std::move(cfg)) {
  // Each part is cast as soon as it exists, so a bf16 model never holds a full fp32 copy.
  auto cast = [dtype](auto module) {
    if (dtype != torch::kFloat32) module->to(dtype);
    return module;
  };
  cfg_.check_supported("model config");
  const auto& t = cfg_.text_config;
  embed_tokens = register_module(
      "embed_tokens",
      cast(torch::nn::Embedding(torch::nn::EmbeddingOptions(t.vocab_size, t.hidden_size)
                                    .padding_idx(cfg_.pad_token_id))));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    LayerKind kind = cfg_.is_dual_ffn_layer(i)       ? LayerKind::kDualFFN
                     : cfg_.is_fast_forward_layer(i) ? LayerKind::kFastForward
                                                     : LayerKind::kPlain;
    layer_list.push_back(cast(DecoderLayer(t, kind)));
    layers->push_back(layer_list.back());
  }
  norm = register_module("norm", cast(RMSNorm(t.hidden_size, t.rms_norm_eps)));
  audio_codebook_embeddings = register_module(
      "audio_codebook_embeddings",
      cast(torch::nn::Embedding(cfg_.audio_num_codebooks * cfg_.codebook_rows(), t.hidden_size)));
  if (cfg_.use_audio_out_embed_projector)
    audio_out_embed_projector = register_module(
        "audio_out_embed_projector", cast(make_linear(t.hidden_size, t.hidden_size, false)));
  audio_decoder_proj = register_module("audio_decoder_proj", cast(DecoderProjector(cfg_)));
  if (!cfg_.skip_audio_tower) {
    audio_tower = register_module("audio_tower", cast(AudioTower(cfg_.audio_encoder_config)));
    audio_encoder_proj = register_module("audio_encoder_proj", cast(AudioFeatureProjector(cfg_)));
  }
  inv_freq_ = rope_inv_freq(t);
}

torch::Tensor HiggsAudioModelImpl::embed_audio_ids(const torch::Tensor& codes) {
  const int64_t k = cfg_.audio_num_codebooks;
  if (codes.size(0) != k)
    throw std::runtime_error("audio codes have " + std::to_string(codes.size(0)) +
                             " codebooks, the model config has audio_num_codebooks " +
                             std::to_string(k));
  auto shift = torch::arange(k, codes.options()).mul(cfg_.codebook_rows()).unsqueeze(1);
  auto emb = audio_codebook_embeddings(codes + shift);  // (K, T, H)
  auto out = cfg_.audio_embed_avg ? emb.mean(0) : emb.sum(0);
  if (cfg_.use_audio_out_embed_projector) out = audio_out_embed_projector(out);
  return out;
}

namespace {
bool has_columns(const Batch& b, const char* name) {
  return b.has(name) && b.at(name).dim() == 2 && b.at(name).size(1) > 0;
}
}  // namespace

MergePlan HiggsAudioModelImpl::plan(const Batch& batch) const {
  MergeInputs in;
  in.input_ids = batch.at("input_ids");
  in.attention_mask =
      batch.has("attention_mask") ? batch.at("attention_mask") : torch::ones_like(in.input_ids);
  if (batch.has("label_ids")) in.label_ids = batch.at("label_ids");
  if (cfg_.encode_audio_in_tokens && has_columns(batch, "audio_in_ids")) {
    in.audio_in_starts = batch.at("audio_in_ids_start");
    in.audio_in_columns = batch.at("audio_in_ids").size(1);
  }
  if (has_columns(batch, "audio_out_ids")) {
    in.audio_out_starts = batch.at("audio_out_ids_start");
    in.audio_out_columns = batch.at("audio_out_ids").size(1);
  }
  if (!cfg_.skip_audio_tower) {  // Whisper features: kept frames per window (audio_tower.h)
    if (!batch.has("audio_features"))
      throw std::runtime_error(
          "the model has a Whisper audio tower (skip_audio_tower: false) but the batch has no "
          "audio_features: set collator.encode_whisper_embed=true and add a whisper_log_mel "
          "feature_extractor to the recipe");
    const auto& f = batch.at("audio_features");
    if (f.dim() != 3) throw std::runtime_error("audio_features must be (N, num_mel_bins, frames)");
    std::vector<int64_t> kept;
    for (int64_t i = 0; i < f.size(0); ++i) {
      const int64_t frames = batch.has("audio_feature_attention_mask")
                                 ? batch.at("audio_feature_attention_mask")[i].sum().item<int64_t>()
                                 : f.size(2);
      kept.push_back(audio_tower_lengths(frames).second);
    }
    in.audio_feature_lengths = torch::tensor(kept, torch::kInt64);
    in.audio_feature_frames = audio_tower_lengths(f.size(2)).second;
  }
  in.audio_in_token = cfg_.audio_in_token_idx;
  in.audio_out_token = cfg_.audio_out_token_idx;
  in.pad_token = cfg_.pad_token_id;
  in.round_to = 8;                              // training mode (use_cache=False)
  in.left_padding = in.input_ids.size(0) == 1;  // the reference left-pads a batch of one
  return plan_merge(in);
}

ForwardOutput HiggsAudioModelImpl::forward(const Batch& batch, const ForwardOptions& opts) {
  const auto dev = embed_tokens->weight.device();
  const auto dtype = embed_tokens->weight.scalar_type();
  ForwardOutput out;
  out.merge = plan(batch);
  const MergePlan& p = out.merge;

  // non_blocking: the data loader pins batches for a CUDA model, so these copies run async.
  auto to_dev = [&](const char* name) { return batch.at(name).to(dev, /*non_blocking=*/true); };
  auto text = embed_tokens(to_dev("input_ids"));
  torch::Tensor audio_in, audio_out;
  if (p.audio_in_dst.numel() > 0) audio_in = embed_audio_ids(to_dev("audio_in_ids"));
  if (p.audio_out_dst.numel() > 0) audio_out = embed_audio_ids(to_dev("audio_out_ids"));
  torch::Tensor features;  // projected tower output (N, frames, H)
  if (p.audio_feature_dst.numel() > 0) {
    const auto& f = batch.at("audio_features");
    torch::Tensor fmask;
    if (batch.has("audio_feature_attention_mask")) fmask = batch.at("audio_feature_attention_mask");
    features = audio_encoder_proj(audio_tower(f, fmask));
  }
  auto x = apply_merge(p, text, audio_in, audio_out, features);

  // Shared per-pass inputs: RoPE tables, masks, routing indices.
  LayerInputs in;
  std::tie(in.cos, in.sin) = rope_cos_sin(inv_freq_, p.position_ids.to(dev), dtype);
  const int64_t len = p.length;
  const double lowest = mask_lowest(dtype);
  auto keys = p.attention_mask.to(dev).to(torch::kBool);
  auto causal = torch::ones({len, len}, torch::dtype(torch::kBool).device(dev)).tril();
  auto allowed = causal.view({1, 1, len, len}).logical_and(keys.view({p.batch, 1, 1, len}));
  in.attn_mask = torch::zeros({p.batch, 1, len, len}, torch::dtype(dtype).device(dev))
                     .masked_fill(allowed.logical_not(), lowest);
  in.audio_mask = p.audio_in_discrete_codes_mask.logical_or(p.audio_out_mask).to(dev);
  in.has_audio = in.audio_mask.any().item<bool>();
  in.ff_attn_mask = in.attn_mask;
  // Also without audio positions (audio_idx empty): a DualFFN layer under autograd then runs
  // its audio path on no rows, as the reference does, so its audio parameters get zero
  // gradients rather than none and AdamW steps them as torch.optim.AdamW does there.
  {
    auto flat = in.audio_mask.reshape({-1});
    in.audio_idx = flat.nonzero().view({-1});
    in.text_idx = flat.logical_not().nonzero().view({-1});
  }
  if (in.has_audio && std::any_of(layer_list.begin(), layer_list.end(), [](const DecoderLayer& l) {
        return l->kind == LayerKind::kFastForward;
      })) {
    auto a = in.audio_mask;
    in.ff_attn_mask = in.attn_mask.masked_fill(
        a.view({p.batch, 1, len, 1}).logical_or(a.view({p.batch, 1, 1, len})), lowest);
  }

  for (auto& layer : layer_list) {
    if (gradient_checkpointing && is_training() && torch::GradMode::is_enabled())
      x = checkpointed_layer(layer, x, in);
    else
      x = layer->forward(x, in);
  }
  x = norm(x);
  out.hidden = x;
  if (opts.text_logits) out.logits = audio_decoder_proj->text_lm_head(x);
  const int64_t n_out = p.audio_out_dst.numel();
  if (n_out > 0) {
    auto rows = x.reshape({-1, x.size(-1)}).index_select(0, p.audio_out_dst.to(dev));
    out.audio_logits = audio_decoder_proj->audio_lm_head(rows)
                           .view({n_out, cfg_.audio_num_codebooks, cfg_.codebook_rows()})
                           .to(torch::kFloat32);
  }
  return out;
}

void HiggsAudioModelImpl::init_weights(uint64_t seed, double std) {
  torch::NoGradGuard guard;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : named_parameters()) {
    auto& w = item.value();
    const auto& name = item.key();
    const bool is_norm = name.find("norm.weight") != std::string::npos;
    auto cpu = torch::empty(w.sizes(), torch::kFloat32);
    if (is_norm)
      cpu.fill_(1.0);
    else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0)
      cpu.zero_();
    else
      cpu.normal_(0.0, std, gen);
    if (name == "embed_tokens.weight") cpu[cfg_.pad_token_id].zero_();
    w.copy_(cpu);
  }
}

torch::OrderedDict<std::string, torch::Tensor> HiggsAudioModelImpl::base_parameters() const {
  auto params = named_parameters();
  // Adapter weights (LoRA) are saved by their adapter, never in the model's own layout.
  auto adapter = higgs::adapter_parameter_names(const_cast<HiggsAudioModelImpl&>(*this));
  if (!adapter.empty()) {
    torch::OrderedDict<std::string, torch::Tensor> base;
    for (const auto& item : params)
      if (!adapter.count(item.key())) base.insert(item.key(), item.value());
    return base;
  }
  return params;
}

std::map<std::string, torch::Tensor> HiggsAudioModelImpl::state_dict() const {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : base_parameters()) out[item.key()] = item.value();
  return out;
}

void HiggsAudioModelImpl::load_state_dict(
    const std::vector<std::string>& names,
    const std::function<torch::Tensor(const std::string&)>& fetch, const std::string& source,
    const std::function<bool(const std::string&)>& may_be_missing) {
  auto params = base_parameters();
  std::set<std::string> given(names.begin(), names.end());
  std::vector<std::string> missing, unexpected;
  for (const auto& item : params)
    if (!given.count(item.key()) && !(may_be_missing && may_be_missing(item.key())))
      missing.push_back(item.key());
  for (const auto& n : given)
    if (!params.contains(n)) unexpected.push_back(n);
  auto list = [](std::ostringstream& m, const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    m << "\n  " << what << " (" << v.size() << "):";
    for (size_t i = 0; i < v.size() && i < 20; ++i) m << " " << v[i];
    if (v.size() > 20) m << " ...";
  };
  if (!missing.empty() || !unexpected.empty()) {
    std::ostringstream m;
    m << source << ": weights do not match the model config";
    list(m, "missing", missing);
    list(m, "unexpected", unexpected);
    throw std::runtime_error(m.str());
  }
  torch::NoGradGuard guard;
  std::vector<std::string> bad;
  tensor_io::NonFiniteTensors non_finite(source);
  for (const auto& n : names) {
    auto& p = params[n];
    torch::Tensor t = fetch(n);
    if (t.sizes() != p.sizes()) {
      std::ostringstream s;
      s << n << " " << t.sizes() << " vs model " << p.sizes();
      bad.push_back(s.str());
      continue;
    }
    p.copy_(t);  // converts dtype/device; the fetched tensor can be released right after
    non_finite.check(n, p);
  }
  if (!bad.empty()) {
    std::ostringstream m;
    m << source << ": shape mismatches (checkpoint vs config):";
    for (const auto& b : bad) m << "\n  " << b;
    throw std::runtime_error(m.str());
  }
  non_finite.throw_if_any();
}

int64_t HiggsAudioModelImpl::load_whisper_encoder(const std::string& dir) {
  if (!audio_tower)
    throw std::runtime_error("a Whisper encoder (" + dir +
                             ") was given but this model has no audio tower: set "
                             "skip_audio_tower to false in its config.json");
  std::map<std::string, std::string> to_source;  // "audio_tower.X" -> name in the checkpoint
  int64_t copied = 0;
  load_checkpoint_weights(dir, [&](const std::vector<std::string>& names,
                                   const std::function<at::Tensor(const std::string&)>& fetch) {
    for (const auto& n : names)
      for (const char* prefix : {"model.encoder.", "encoder."})
        if (n.rfind(prefix, 0) == 0) {
          to_source["audio_tower." + n.substr(std::strlen(prefix))] = n;
          break;
        }
    if (to_source.empty())
      throw std::runtime_error(dir +
                               ": no Whisper encoder tensors (model.encoder.* or encoder.*) in "
                               "this checkpoint");
    std::vector<std::string> tower_names;
    for (const auto& kv : to_source) tower_names.push_back(kv.first);
    // Strict for the tower (every audio_tower.* given), everything else keeps its values.
    load_state_dict(
        tower_names, [&](const std::string& n) { return fetch(to_source.at(n)); },
        dir + " (Whisper encoder -> audio_tower)",
        [](const std::string& n) { return n.rfind("audio_tower.", 0) != 0; });
    copied = static_cast<int64_t>(tower_names.size());
  });
  return copied;
}

void HiggsAudioModelImpl::load_state_dict(const std::map<std::string, torch::Tensor>& tensors,
                                          const std::string& source) {
  std::vector<std::string> names;
  for (const auto& kv : tensors) names.push_back(kv.first);
  load_state_dict(
      names, [&](const std::string& n) { return tensors.at(n); }, source);
}

}  // namespace higgs::higgs_audio
