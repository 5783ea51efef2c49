#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/higgs_audio.h"

#include <cstring>
#include <stdexcept>

#include "framework/registry/registry.h"
#include "framework/tensor_io/pth_reader.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/util/device.h"

namespace higgs {
namespace higgs_audio {
namespace {

// 64-bit multiply-xorshift over 8-byte words: fast enough to hash 800 MB of weights at load.
struct Hasher {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  void word(uint64_t w) {
    h ^= w + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
  }
  void bytes(const void* p, size_t n) {
    const auto* c = static_cast<const unsigned char*>(p);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, c + i, 8);
      word(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, c + i, n - i);
    word(tail ^ (static_cast<uint64_t>(n) << 56));
  }
  void str(const std::string& s) { bytes(s.data(), s.size()); }
};

}  // namespace

std::string fingerprint(const TokenizerConfig& config, const TensorMap& weights) {
  Hasher hs;
  hs.str(config.to_json());
  for (const auto& [name, t] : weights) {
    hs.str(name);
    for (int64_t s : t.sizes()) hs.word(static_cast<uint64_t>(s));
    hs.word(static_cast<uint64_t>(t.scalar_type()));
    at::Tensor c = t.to(at::kCPU).contiguous();
    hs.bytes(c.data_ptr(), c.numel() * c.element_size());
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hs.h));
  return buf;
}

TensorMap read_checkpoint_tensors(const std::string& path) {
  // The released tokenizer ships a torch.save'd state dict; safetensors is accepted too.
  if (path.size() >= 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0)
    return tensor_io::SafetensorsFile::open(path).tensors();
  return tensor_io::read_pth(path);
}

}  // namespace higgs_audio

namespace {

// A plain "cuda" is this process's GPU under torchrun: cuda:LOCAL_RANK.
std::string tokenizer_device(const std::string& d, const higgs::RunSettings& run) {
  return higgs::resolve_device(d.empty() ? run.device : d, run.placement.local_rank,
                               "audio_tokenizer.device")
      .str();
}

}  // namespace

void HiggsAudioTokenizer::bind(Binder& b, Options& o) {
  b.req("path", o.path, "Directory with config.json and model.safetensors or model.pth.");
  b.opt("device", o.device, "cpu, cuda, cuda:N or auto; empty uses the recipe's device.");
  b.choice("dtype", o.dtype, {"float32", "bfloat16"},
           "Precision of the encoders and decoder (the quantizer always runs in float32).");
}

HiggsAudioTokenizer::HiggsAudioTokenizer(const Options& o, const RunSettings& settings) {
  higgs_audio::RunOptions run;
  run.device = tokenizer_device(o.device, settings);
  run.dtype = o.dtype;
  std::string identity;
  model_ = higgs_audio::load_higgs_audio_tokenizer(
      o.path,
      [&](const std::string& file) {
        higgs_audio::TensorMap t = higgs_audio::read_checkpoint_tensors(file);
        auto cfg = higgs_audio::TokenizerConfig::from_file(o.path + "/config.json");
        identity = higgs_audio::fingerprint(cfg, t);
        return t;
      },
      run);
  identity_ = "higgs_audio/" + identity + "/" + o.dtype;
}

HiggsAudioTokenizer::HiggsAudioTokenizer(
    std::shared_ptr<higgs_audio::HiggsAudioTokenizerModel> model, std::string identity)
    : model_(std::move(model)), identity_(std::move(identity)) {}

int64_t HiggsAudioTokenizer::sample_rate() const { return model_->config().sample_rate; }
int64_t HiggsAudioTokenizer::num_codebooks() const { return model_->config().n_q; }
// The reference's codebook_size property returns quantizer_dim (1024), which equals `bins` only
// for the released config; `bins` is the number of codewords.
int64_t HiggsAudioTokenizer::codebook_size() const { return model_->config().bins; }
int64_t HiggsAudioTokenizer::hop_length() const { return model_->config().hop_length(); }

at::Tensor HiggsAudioTokenizer::encode(const at::Tensor& waveform) {
  return model_->encode(waveform);
}
std::vector<at::Tensor> HiggsAudioTokenizer::encode_batch(const std::vector<at::Tensor>& w) {
  // On CPU a padded batch measured slower than one clip at a time (bench/
  // audio_tokenizer_bench.cpp, docs/audio-tokenizer.md); the codes are the same either way.
  if (model_->device().is_cpu()) {
    std::vector<at::Tensor> out;
    for (const auto& x : w) out.push_back(model_->encode(x));
    return out;
  }
  return model_->encode_batch(w);
}
at::Tensor HiggsAudioTokenizer::decode(const at::Tensor& codes) { return model_->decode(codes); }

HIGGS_REGISTER(AudioTokenizer, HiggsAudioTokenizer, "higgs_audio",
               "Higgs Audio v2 tokenizer: 24 kHz mono audio <-> 8 x 1024-way codes at 25 Hz.");

}  // namespace higgs
