// The Higgs audio tokenizer (boson_multimodal/audio_processing/higgs_audio_tokenizer.py) as a
// plain class: 24 kHz waveform <-> int64 codes (n_q, T) at 25 frames per second.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/audio_tokenizers/higgs_audio/config.h"
#include "components/audio_tokenizers/higgs_audio/dac.h"
#include "components/audio_tokenizers/higgs_audio/hubert.h"
#include "components/audio_tokenizers/higgs_audio/rvq.h"
#include "components/audio_tokenizers/higgs_audio/semantic_encoder.h"
#include "components/audio_tokenizers/higgs_audio/weights.h"

namespace higgs::higgs_audio {

/// Where and in which precision the tokenizer runs. The RVQ and fc_prior always run in fp32 so
/// that the choice of codewords does not depend on bf16 rounding of the distances.
struct RunOptions {
  std::string device = "cpu";     // "cpu", "cuda", "cuda:1"
  std::string dtype = "float32";  // "float32" or "bfloat16" (encoders and decoder)
};

class HiggsAudioTokenizerModel {
 public:
  /// Builds the tokenizer from `weights` (released names, any float dtype). Strict: throws one
  /// error listing every missing, unexpected or wrongly shaped tensor; `source` names the file.
  HiggsAudioTokenizerModel(const TokenizerConfig& config, const TensorMap& weights,
                           const RunOptions& run = {}, const std::string& source = "weights");

  /// Every tensor name and shape a checkpoint of `config` holds (602 for the release).
  static WeightSpec weight_spec(const TokenizerConfig& config);

  /// Codes (n_q, T) int64 on CPU of a mono waveform (1-D, sample_rate Hz, any float dtype).
  at::Tensor encode(const at::Tensor& waveform) const;
  /// Encodes waveforms as one zero-padded batch; each result equals encode() of that waveform
  /// (up to float rounding), with T = num_frames(its length).
  std::vector<at::Tensor> encode_batch(const std::vector<at::Tensor>& waveforms) const;
  /// Waveform (T * hop_length,) float32 on CPU from codes (n_q, T) or (n_q', T) with n_q' <= n_q.
  at::Tensor decode(const at::Tensor& codes) const;

  /// Code frames of a waveform of `samples` samples (the length rule, docs/audio-tokenizer.md).
  int64_t num_frames(int64_t samples) const;
  /// Shortest waveform that gives at least one frame.
  int64_t min_samples() const;

  const TokenizerConfig& config() const { return config_; }
  at::Device device() const { return device_; }
  at::ScalarType dtype() const { return dtype_; }

  // Parts, for tests and tools.
  const DacEncoder& acoustic_encoder() const { return encoder_; }
  const DacDecoder& acoustic_decoder() const { return decoder_; }
  const HubertModel& semantic_model() const { return hubert_; }
  const SemanticEncoder& semantic_encoder() const { return encoder_semantic_; }
  const ResidualVq& quantizer() const { return quantizer_; }
  /// Semantic features (B, H, T) of a padded 24 kHz batch (B, N) before the semantic encoder:
  /// resample to 16 kHz, pad 160 each side, mean of HuBERT hidden states, every k-th frame.
  at::Tensor semantic_features(const at::Tensor& wave, const Lengths& lengths,
                               Lengths* out_lengths) const;

 private:
  HiggsAudioTokenizerModel(const TokenizerConfig& config, WeightReader& r);
  void read(WeightReader& r);
  struct FrameCounts {
    int64_t semantic = 0, acoustic = 0;
    bool pad_acoustic = false;  // re-encode the acoustic path with 320 zeros on each side
  };
  FrameCounts frame_counts(int64_t samples) const;
  int64_t acoustic_pad() const { return 160 * config_.semantic_downsample_factor(); }

  TokenizerConfig config_;
  at::Device device_ = at::kCPU;
  at::ScalarType dtype_ = at::kFloat;
  DacEncoder encoder_;
  DacDecoder decoder_;
  HubertModel hubert_;
  SemanticEncoder encoder_semantic_;
  ResidualVq quantizer_;
  at::Tensor fc_prior_w_, fc_prior_b_, fc_post2_w_, fc_post2_b_;
};

/// Reads the tensors of one checkpoint file (model.pth or model.safetensors).
using TensorLoader = std::function<TensorMap(const std::string& path)>;

/// Loads a tokenizer directory: config.json plus model.safetensors (preferred) or model.pth,
/// read by `load`. Errors name the directory and what is missing.
std::shared_ptr<HiggsAudioTokenizerModel> load_higgs_audio_tokenizer(const std::string& dir,
                                                                     const TensorLoader& load,
                                                                     const RunOptions& run = {});

/// Random weights of every tensor of `config` (weight_spec), deterministic in `seed`, scaled so
/// that activations stay finite: for benchmarks, tests and the toy demo.
TensorMap random_weights(const TokenizerConfig& config, uint64_t seed);

}  // namespace higgs::higgs_audio
