// Collator `higgs_audio`: the reference HiggsAudioSampleCollator
// (boson_multimodal/data_collator/higgs_audio_collator.py) producing HiggsAudioBatchInput.
//
//   collator: { type: "higgs_audio", round_to: 8, use_delay_pattern: true }
//
// Token ids come from the model's config (option model_config, else the config of the recipe's
// model, CollatorArgs). Fields and shapes: docs/data-format.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "components/audio/feature_extractor.h"
#include "components/chatml/higgs_token_ids.h"
#include "framework/config/options.h"
#include "framework/train/collator.h"

namespace higgs {

class Diagnostics;
class FeatureExtractor;
struct RecipePlan;

class HiggsAudioCollator : public Collator {
 public:
  struct Options {
    std::string model_config;  // path to config.json; "" = the recipe model's config
    int64_t round_to = 8;
    bool pad_left = false;
    bool use_delay_pattern = true;
    bool return_audio_in_tokens = true;
    std::optional<int64_t> audio_num_codebooks;  // unset = the model config's value
    bool mask_audio_out_token_label = true;
    bool disable_audio_codes_transform = false;
    bool encode_whisper_embed = false;
    double chunk_size_seconds = 30.0;
    // On purpose: a layout the model's inference does not use (the seed trainer's). Otherwise
    // every inference mismatch is a recipe error.
    bool train_unreleased_layout = false;
  };
  static void bind(Binder& b, Options& o);
  /// With the recipe read, before anything is loaded: each inference mismatch against the
  /// model's config.json (collator.model_config, else model.path/config.json) is an error unless
  /// train_unreleased_layout is set.
  static void check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                         Diagnostics& diags);

  /// Token ids from o.model_config, else the model config in `args`; the feature extractor is
  /// needed only with encode_whisper_embed.
  HiggsAudioCollator(const Options& o, const CollatorArgs& args);
  /// From token ids already read (tools, tests): `fe` is needed only with encode_whisper_embed.
  HiggsAudioCollator(Options o, HiggsTokenIds ids, std::shared_ptr<FeatureExtractor> fe = nullptr);

  /// Input examples hold the ChatMLDatasetSample tensors (input_ids, label_ids, audio_ids_concat,
  /// audio_ids_start, audio_waveforms_concat, audio_waveforms_start, audio_sample_rate, optional
  /// audio_label_ids_concat and reward); the batch holds the HiggsAudioBatchInput fields, with
  /// None fields absent.
  Batch collate(const std::vector<Example>& examples) const override;
  /// Where these options break inference with a model of `model_config` (its config.json): the
  /// delay pattern, Whisper features vs the tower, audio-in codes, the codebook count, and raw
  /// (untransformed, so unshifted) audio labels. One sentence each, saying what to set.
  /// Built from a recipe (before training), the collator logs these as "inference alignment: ..."
  /// warnings.
  std::vector<std::string> inference_mismatches(const Json& model_config) const;
  static std::vector<std::string> inference_mismatches(const Options& o, const Json& model_config);

  const Options& options() const { return o_; }
  const HiggsTokenIds& token_ids() const { return ids_; }

 private:
  Options o_;
  HiggsTokenIds ids_;
  std::shared_ptr<FeatureExtractor> fe_;
  int64_t num_codebooks_ = 0;
  std::pair<int64_t, int64_t> feature_shape_{0, 0};  // (n_mels, frames) of one feature window
};

}  // namespace higgs
