// Registered model `higgs_audio`: Higgs Audio v2 built from a checkpoint directory's config.json.
//
//   model: { type: "higgs_audio", path: "/ckpt/higgs-audio-v2-generation-3B-base",
//            dtype: "bfloat16", gradient_checkpointing: true, reduction: "mean" }
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/registry/registry.h"
#include "framework/train/model.h"

namespace higgs {

class Binder;
struct HiggsAudioConfig;
namespace higgs_audio {
class HiggsAudioModelImpl;
}

class HiggsAudioModel : public Model {
 public:
  struct Options {
    std::string path;
    std::string init = "checkpoint";
    std::string dtype = "float32";
    std::string device = "inherit";
    bool gradient_checkpointing = false;
    double text_loss_weight = 1.0;
    double audio_loss_weight = 1.0;
    std::vector<double> codebook_weights;
    std::string reduction = "mean";
    std::optional<int64_t> seed;
    std::string audio_tower_init;
    std::string audio_tower_padding = "masked";
  };
  static void bind(Binder& b, Options& o);

  /// Reads `path`/config.json and the weights; `run` gives the device (a plain "cuda" is
  /// cuda:LOCAL_RANK) and the seed of a random initialisation, unless the options set them.
  HiggsAudioModel(const Options& o, const RunSettings& run);
  /// The model's config.json as the built model reports it, without loading weights (nullopt
  /// when there is none): what data-check and dump-batch check samples and batches against.
  static std::optional<DeclaredConfig> declared_config(const Options& o);
  ~HiggsAudioModel() override;

  torch::nn::Module& module() override;
  std::vector<LossTerm> loss_terms(const Batch& batch) override;
  std::map<std::string, int64_t> target_counts(const Batch& batch) const override;
  /// Writes config.json and the weights (safetensors when built with tensor_io, see weights_io.h).
  void save(const std::string& dir) const override;
  Json config() const override;

  higgs_audio::HiggsAudioModelImpl& net() { return *net_; }
  const HiggsAudioConfig& model_config() const;
  std::shared_ptr<HiggsAudioConfig> shared_config() const { return cfg_; }
  /// The checkpoint directory the model was read from (options `path`).
  const std::string& checkpoint_dir() const { return opts_.path; }

 private:
  Options opts_;
  std::shared_ptr<HiggsAudioConfig> cfg_;
  std::shared_ptr<higgs_audio::HiggsAudioModelImpl> net_;
};

}  // namespace higgs
