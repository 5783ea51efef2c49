// Registered model `higgs_audio`: Higgs Audio v2 built from a checkpoint directory's config.json.
//
//   model: { type: "higgs_audio", path: "/ckpt/higgs-audio-v2-generation-3B-base",
//            dtype: "bfloat16", gradient_checkpointing: true, reduction: "mean" }
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/train/model.h"

namespace higgs {

class BuildContext;
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

  HiggsAudioModel(const Options& o, BuildContext& ctx);
  /// Without a recipe: `recipe_device` and `recipe_seed` stand in for the recipe's settings.
  HiggsAudioModel(const Options& o, const std::string& recipe_device, int64_t recipe_seed);
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

 private:
  Options opts_;
  std::shared_ptr<HiggsAudioConfig> cfg_;
  std::shared_ptr<higgs_audio::HiggsAudioModelImpl> net_;
};

}  // namespace higgs
