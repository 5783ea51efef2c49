// Audio tokenizer `higgs_audio`: the released Higgs audio tokenizer
// (bosonai/higgs-audio-v2-tokenizer).
//
//   audio_tokenizer: { type: 'higgs_audio', path: '/models/higgs-audio-v2-tokenizer' }
//
// Waveforms must already be mono at 24 kHz (sample_rate()); resampling is the caller's job
// (components/audio). See docs/audio-tokenizer.md for the code length rule.
#pragma once

#include <memory>
#include <string>

#include "components/audio/audio_tokenizer.h"
#include "components/audio_tokenizers/higgs_audio/tokenizer.h"

namespace higgs {

class Binder;

class HiggsAudioTokenizer : public AudioTokenizer {
 public:
  struct Options {
    std::string path;    // directory with config.json + model.safetensors or model.pth
    std::string device;  // "" = the recipe's device
    std::string dtype = "float32";
  };
  static void bind(Binder& b, Options& o);
  /// Loads `path`; its device is the option's, else the run's (a plain "cuda" is cuda:LOCAL_RANK).
  HiggsAudioTokenizer(const Options& o, const RunSettings& run);
  /// Wraps an already built model (tests, tools); `identity` keys the code cache.
  HiggsAudioTokenizer(std::shared_ptr<higgs_audio::HiggsAudioTokenizerModel> model,
                      std::string identity);

  int64_t sample_rate() const override;
  int64_t num_codebooks() const override;
  int64_t codebook_size() const override;
  int64_t hop_length() const override;
  int64_t num_frames(int64_t samples) const override { return model_->num_frames(samples); }
  at::Tensor encode(const at::Tensor& waveform) override;
  std::vector<at::Tensor> encode_batch(const std::vector<at::Tensor>& waveforms) override;
  at::Tensor decode(const at::Tensor& codes) override;
  std::string identity() const override { return identity_; }

  const higgs_audio::HiggsAudioTokenizerModel& model() const { return *model_; }

 private:
  std::shared_ptr<higgs_audio::HiggsAudioTokenizerModel> model_;
  std::string identity_;
};

namespace higgs_audio {
/// Content hash of a config and its tensors (names, shapes, dtypes, bytes), 16 hex digits.
std::string fingerprint(const TokenizerConfig& config, const TensorMap& weights);
/// Reads model.safetensors / model.pth for the registered component.
TensorMap read_checkpoint_tensors(const std::string& path);
}  // namespace higgs_audio

}  // namespace higgs
