#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <ATen/CPUGeneratorImpl.h>

#include "framework/util/device.h"

namespace higgs::higgs_audio {
namespace {

at::ScalarType parse_dtype(const std::string& s) {
  if (s == "float32") return at::kFloat;
  if (s == "bfloat16") return at::kBFloat16;
  throw std::invalid_argument("audio tokenizer dtype \"" + s +
                              "\" is not supported (use \"float32\" or \"bfloat16\")");
}

at::Device parse_device(const std::string& s) {
  return resolve_device(s, local_rank_from_environment(), "audio tokenizer device");
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

HiggsAudioTokenizerModel::HiggsAudioTokenizerModel(const TokenizerConfig& config,
                                                   const TensorMap& weights, const RunOptions& run,
                                                   const std::string& source)
    : config_(config), device_(parse_device(run.device)), dtype_(parse_dtype(run.dtype)) {
  config_.validate(source);
  WeightReader r(&weights, at::TensorOptions().dtype(dtype_).device(device_));
  read(r);
  r.finish(source);
}

HiggsAudioTokenizerModel::HiggsAudioTokenizerModel(const TokenizerConfig& config, WeightReader& r)
    : config_(config) {
  read(r);
}

void HiggsAudioTokenizerModel::read(WeightReader& r) {
  const auto& c = config_;
  const int64_t h = c.semantic_hidden_size;
  encoder_ = DacEncoder(r, "encoder", c.acoustic_encoder_dim, c.ratios, c.D);
  decoder_ = DacDecoder(r, "decoder_2", c.D, c.acoustic_decoder_dim, c.ratios);
  hubert_ = HubertModel(r, "semantic_model", c);
  encoder_semantic_ = SemanticEncoder(r, "encoder_semantic", h);
  skip_semantic_decoder(r, "decoder_semantic", h);
  fc_post2_w_ = r.take("fc_post2.weight", {c.D, c.quantizer_dim()});
  fc_post2_b_ = r.take("fc_post2.bias", {c.D});
  r.skip("fc_post1.weight", {h, c.quantizer_dim()});  // feeds the semantic decoder only
  r.skip("fc_post1.bias", {h});
  r.set_options(at::TensorOptions().dtype(at::kFloat).device(device_));
  quantizer_ = ResidualVq(r, "quantizer.vq", c.n_q, c.quantizer_dim(), c.codebook_dim, c.bins);
  fc_prior_w_ = r.take("fc_prior.weight", {c.quantizer_dim(), c.quantizer_dim()});
  fc_prior_b_ = r.take("fc_prior.bias", {c.quantizer_dim()});
}

WeightSpec HiggsAudioTokenizerModel::weight_spec(const TokenizerConfig& config) {
  WeightReader r(nullptr, at::TensorOptions().dtype(at::kFloat));
  HiggsAudioTokenizerModel m(config, r);
  return r.spec();
}

HiggsAudioTokenizerModel::FrameCounts HiggsAudioTokenizerModel::frame_counts(int64_t n) const {
  const auto& c = config_;
  FrameCounts f;
  const int64_t resampled = ceil_div(n * c.semantic_sample_rate, c.sample_rate);
  const int64_t hubert_frames = hubert_.out_length(resampled + 2 * 160);
  f.semantic = ceil_div(hubert_frames, c.semantic_downsample_factor());
  f.acoustic = encoder_.out_length(n);
  if (f.acoustic != f.semantic) {
    // _xcodec_encode: re-encode with 160 * downsample_factor zeros on both sides, then trim.
    f.pad_acoustic = true;
    f.acoustic = encoder_.out_length(n + 2 * acoustic_pad());
  }
  return f;
}

int64_t HiggsAudioTokenizerModel::num_frames(int64_t samples) const {
  if (samples <= 0) return 0;
  FrameCounts f = frame_counts(samples);
  return std::min(f.semantic, f.acoustic);
}

int64_t HiggsAudioTokenizerModel::min_samples() const {
  for (int64_t n = 1;; ++n)
    if (num_frames(n) >= 1) return n;
}

at::Tensor HiggsAudioTokenizerModel::semantic_features(const at::Tensor& wave,
                                                       const Lengths& lengths,
                                                       Lengths* out_lengths) const {
  const auto& c = config_;
  // Resampled in fp32 like the reference, then zero beyond each item's resampled length.
  at::Tensor x = resample_sinc(wave.to(at::kFloat), c.sample_rate, c.semantic_sample_rate);
  Lengths len = map_lengths(lengths, [&](int64_t l) {
    return ceil_div(l * c.semantic_sample_rate, c.sample_rate) + 2 * 160;
  });
  x = mask_time(x, map_lengths(len, [](int64_t l) { return l - 2 * 160; }), 1);
  x = torch::constant_pad_nd(x, {160, 160}, 0).to(dtype_);
  Lengths frames;
  at::Tensor h = hubert_.mean_hidden_state(x, len, &frames);  // (B, T, H)
  const int64_t k = c.semantic_downsample_factor();
  if (k > 1) {
    h = h.slice(1, 0, c10::nullopt, k);
    frames = map_lengths(frames, [k](int64_t f) { return ceil_div(f, k); });
  }
  if (out_lengths) *out_lengths = frames;
  return h.transpose(1, 2);
}

std::vector<at::Tensor> HiggsAudioTokenizerModel::encode_batch(
    const std::vector<at::Tensor>& waveforms) const {
  if (waveforms.empty()) return {};
  c10::InferenceMode guard;
  const int64_t b = static_cast<int64_t>(waveforms.size());
  Lengths len;
  for (size_t i = 0; i < waveforms.size(); ++i) {
    const at::Tensor& w = waveforms[i];
    if (w.dim() != 1)
      throw std::invalid_argument("audio tokenizer: waveform " + std::to_string(i) +
                                  " must be 1-D mono samples, got " + std::to_string(w.dim()) +
                                  " dims");
    if (num_frames(w.size(0)) < 1)
      throw std::invalid_argument("audio tokenizer: waveform " + std::to_string(i) + " has " +
                                  std::to_string(w.size(0)) + " samples; at least " +
                                  std::to_string(min_samples()) + " at " +
                                  std::to_string(config_.sample_rate) + " Hz are needed");
    len.push_back(w.size(0));
  }
  const int64_t pad = acoustic_pad();
  std::vector<FrameCounts> counts;
  Lengths ac_len;
  for (int64_t n : len) {
    counts.push_back(frame_counts(n));
    ac_len.push_back(n + (counts.back().pad_acoustic ? 2 * pad : 0));
  }
  auto opts = at::TensorOptions().dtype(at::kFloat).device(device_);
  at::Tensor wave = at::zeros({b, *std::max_element(len.begin(), len.end())}, opts);
  at::Tensor ac_in = at::zeros({b, 1, *std::max_element(ac_len.begin(), ac_len.end())}, opts);
  for (int64_t i = 0; i < b; ++i) {
    at::Tensor w = waveforms[i].to(opts);
    wave[i].narrow(0, 0, len[i]).copy_(w);
    ac_in[i][0].narrow(0, counts[i].pad_acoustic ? pad : 0, len[i]).copy_(w);
  }

  Lengths sem_len, ac_frames;
  at::Tensor sem = semantic_features(wave, len, &sem_len);
  sem = encoder_semantic_.forward(sem, sem_len);
  at::Tensor ac = encoder_.forward(ac_in.to(dtype_), ac_len, &ac_frames);

  Lengths frames;
  for (int64_t i = 0; i < b; ++i) {
    frames.push_back(std::min(sem_len[i], ac_frames[i]));
    if (frames.back() != num_frames(len[i]))
      throw std::logic_error("audio tokenizer: frame count disagrees with num_frames()");
  }
  const int64_t t = *std::max_element(frames.begin(), frames.end());
  at::Tensor e = at::cat({ac.narrow(2, 0, t), sem.narrow(2, 0, t)}, 1).to(at::kFloat);
  e = at::linear(e.transpose(1, 2), fc_prior_w_, fc_prior_b_).transpose(1, 2);
  at::Tensor codes = quantizer_.encode(e).to(at::kCPU);  // (n_q, B, T)
  std::vector<at::Tensor> out;
  for (int64_t i = 0; i < b; ++i)
    out.push_back(codes.select(1, i).narrow(1, 0, frames[i]).contiguous());
  return out;
}

at::Tensor HiggsAudioTokenizerModel::encode(const at::Tensor& waveform) const {
  return encode_batch({waveform})[0];
}

at::Tensor HiggsAudioTokenizerModel::decode(const at::Tensor& codes) const {
  if (codes.dim() != 2 || codes.size(0) < 1 || codes.size(0) > config_.n_q)
    throw std::invalid_argument("audio tokenizer: codes must be (n_q, T) with n_q <= " +
                                std::to_string(config_.n_q));
  if (codes.numel() > 0 &&
      (codes.min().item<int64_t>() < 0 || codes.max().item<int64_t>() >= config_.bins))
    throw std::invalid_argument("audio tokenizer: codes must lie in [0, " +
                                std::to_string(config_.bins) + ")");
  if (codes.size(1) == 0) return at::zeros({0}, at::kFloat);
  c10::InferenceMode guard;
  at::Tensor q = quantizer_.decode(codes.to(at::kLong).to(device_).unsqueeze(1));  // (1, Q, T)
  at::Tensor z =
      at::linear(q.transpose(1, 2), fc_post2_w_.to(at::kFloat), fc_post2_b_.to(at::kFloat))
          .transpose(1, 2);
  return decoder_.forward(z.to(dtype_)).to(at::kFloat).to(at::kCPU).reshape({-1});
}

std::shared_ptr<HiggsAudioTokenizerModel> load_higgs_audio_tokenizer(const std::string& dir,
                                                                     const TensorLoader& load,
                                                                     const RunOptions& run) {
  namespace fs = std::filesystem;
  const fs::path d(dir);
  if (!fs::is_directory(d))
    throw std::invalid_argument(dir + ": audio tokenizer directory not found");
  const fs::path cfg = d / "config.json";
  if (!fs::exists(cfg))
    throw std::invalid_argument(dir +
                                ": no config.json (expected the files of "
                                "bosonai/higgs-audio-v2-tokenizer)");
  fs::path weights = d / "model.safetensors";
  if (!fs::exists(weights)) weights = d / "model.pth";
  if (!fs::exists(weights))
    throw std::invalid_argument(dir + ": neither model.safetensors nor model.pth is there");
  TokenizerConfig config = TokenizerConfig::from_file(cfg.string());
  TensorMap tensors = load(weights.string());
  return std::make_shared<HiggsAudioTokenizerModel>(config, tensors, run, weights.string());
}

TensorMap random_weights(const TokenizerConfig& config, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto ends_with = [](const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  TensorMap out;
  for (const auto& [name, shape] : HiggsAudioTokenizerModel::weight_spec(config)) {
    at::Tensor t;
    if (ends_with(name, ".alpha")) {
      t = at::empty(shape, f32).uniform_(0.5, 1.5, gen);  // Snake: keep 1/alpha moderate
    } else if (ends_with(name, ".weight_g") || ends_with(name, ".original0")) {
      t = at::empty(shape, f32).uniform_(0.8, 1.2, gen);  // unit-norm filters
    } else if (name.find("norm.") != std::string::npos) {
      t = ends_with(name, ".weight") ? at::ones(shape, f32) : at::zeros(shape, f32);
    } else if (ends_with(name, "_codebook.inited") || ends_with(name, "cluster_size")) {
      t = at::ones(shape, f32);
    } else if (shape.size() == 1) {
      t = at::randn(shape, gen, f32) * 0.02;  // biases, masked_spec_embed
    } else if (name.find("_codebook.embed") != std::string::npos) {
      t = at::randn(shape, gen, f32);
    } else {
      int64_t fan_in = 1;
      for (size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
      t = at::randn(shape, gen, f32) / std::sqrt(static_cast<double>(fan_in));
    }
    out.emplace(name, t);
  }
  return out;
}

}  // namespace higgs::higgs_audio
