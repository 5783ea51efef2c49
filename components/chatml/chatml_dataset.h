// Datasets over ChatML files: text tokenised exactly as prepare_chatml_sample, audio loaded,
// resampled and turned into codes by the recipe's audio tokenizer (or read from the code cache).
//
//   train_data: { type: "zero_shot_voice_cloning", path: "data/train.jsonl" }
//   train_data: { type: "chatml", path: "data/train.json" }   // samples used as written
#pragma once

#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "components/audio/audio_tokenizer.h"
#include "components/audio/code_cache.h"
#include "components/chatml/chatml.h"
#include "components/chatml/sample_filters.h"
#include "components/text/text_tokenizer.h"
#include "framework/registry/registry.h"
#include "framework/train/dataset.h"

namespace higgs {

struct ChatMLDatasetOptions {
  std::string path;
  std::string code_cache_dir;       // "" = <data file dir>/.higgs_code_cache; "none" disables
  double max_audio_seconds = 60.0;  // longer clips are skipped
  int64_t max_tokens = 0;           // 0 = no limit; text tokens + audio frames per sample
  double max_bad_fraction = 0.05;
  bool rewrite_sound_events = true;
  bool load_waveforms = false;  // keep 16 kHz waveforms for Whisper features
  // Zero-shot layout conversion (zero_shot_voice_cloning only).
  std::optional<std::string> system_prompt;
  std::string scene;
  std::string name;                // "" = the data file's name without extension
  int64_t reference_variants = 4;  // augmented variants per reference clip (with augmentation)
  SampleFilters filters;
  static void bind_common(Binder& b, ChatMLDatasetOptions& o);
};

/// A ChatML dataset. Thread-safe: loader threads call get() concurrently; a clip shared by many
/// samples (a speaker's reference) is encoded once.
class ChatMLDataset : public Dataset {
 public:
  /// Reads `o.path`; needs both tokenizers of `args` (a recipe error names the missing one) and
  /// bounds sample lengths by the model config's positions when `args` has it.
  ChatMLDataset(const ChatMLDatasetOptions& o, const DatasetArgs& args, bool zero_shot_layout);
  size_t size() const override { return samples_.size(); }
  /// The sample with clean references (data-check, evaluation, dump-batch).
  Example get(size_t index) const override { return load(index, -1); }
  /// The sample as epoch `epoch` trains on it: each reference one of its augmented variants
  /// (drawn by seed, epoch and sample) when the recipe augments references.
  Example get(size_t index, int64_t epoch) const override { return load(index, epoch); }
  std::string describe(size_t index) const override;
  double max_bad_fraction() const override { return o_.max_bad_fraction; }
  std::vector<std::string> source_files() const override { return {o_.path}; }
  std::string name() const override;
  /// Lengths from the text tokens and the audio headers (every sample measured on the first
  /// call, or at construction when a filter needs it).
  std::optional<SampleInfo> info(size_t index) const override;
  /// "language/<code>" when the sample names its language.
  std::vector<std::string> labels(size_t index) const override;
  std::vector<Dropped> dropped() const override { return dropped_; }
  /// The measured facts of sample `index` (measuring every sample on the first call).
  const SampleFacts& facts(size_t index) const;

  const ChatMLSample& sample(size_t index) const { return samples_.at(index); }
  /// Codes of one audio content (from the cache or freshly encoded); `variant` >= 0: of that
  /// augmented variant of it.
  at::Tensor codes_for(const ChatMLContent& audio, const std::string& where,
                       int64_t variant = -1) const;
  /// Augmented variants made of each reference clip (0: the recipe augments nothing).
  int64_t reference_variants() const;
  /// Cache key of variant `variant` of the clip whose key is `key`.
  std::string variant_key(const std::string& key, int64_t variant) const;
  /// Samples at `rate` of variant `variant` of a clip (`key` its cache key): the clip through
  /// the augmentation chain, every random choice seeded by (run seed, clip, variant).
  std::vector<float> variant_samples(const ChatMLContent& audio, int rate, const std::string& where,
                                     const std::string& key, int64_t variant) const;
  /// Which variant of reference clip `clip` sample `index` sees in `epoch`.
  int64_t variant_of(size_t index, size_t clip, int64_t epoch) const;
  const CodeCache& cache() const { return *cache_; }

  /// One audio item of a sample, with a label for messages ("data.jsonl:3 audio 1 (a.wav)").
  struct AudioRef {
    ChatMLContent audio;
    std::string where;
    bool reference = false;  // conditions the voice (augmentable), not a trained target
  };
  /// Every audio item of every sample, in sample order (a clip used twice is listed twice).
  std::vector<AudioRef> audio_refs() const;
  /// Code-cache key of an audio item: its content hash plus slice. Throws SampleError when the
  /// audio cannot be read.
  std::string cache_key(const ChatMLContent& audio, const std::string& where) const;
  /// Mono samples of an audio item at `rate` Hz. Throws SampleError.
  std::vector<float> load_samples(const ChatMLContent& audio, int rate,
                                  const std::string& where) const;
  CodeCache& code_cache() const { return *cache_; }
  AudioTokenizer& audio_tokenizer() const { return *audio_; }

 private:
  /// Durations, text and, when `decode`, the target's clipping and speech (chatml_measure.cpp).
  SampleFacts measure(const ChatMLSample& s, bool decode) const;
  Example load(size_t index, int64_t epoch) const;
  /// Measures every sample (in parallel), once.
  void measure_all() const;
  /// Drops the samples the filters refuse, recording why.
  void apply_filters();
  ChatMLDatasetOptions o_;
  std::vector<ChatMLSample> samples_;
  std::shared_ptr<TextTokenizer> text_;
  std::shared_ptr<AudioTokenizer> audio_;
  std::unique_ptr<CodeCache> cache_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_future<at::Tensor>> in_flight_;
  mutable std::atomic<int64_t> served_{0};
  // The model's max_position_embeddings (0: no model config known) and codebooks, for the
  // length check: a sample longer than the model's positions is skipped, not trained.
  int64_t max_positions_ = 0;
  int64_t model_codebooks_ = 0;
  mutable std::once_flag measured_;
  mutable std::vector<SampleFacts> facts_;  // one per sample, after measure_all()
  std::vector<Dropped> dropped_;
  std::vector<std::shared_ptr<Augmentation>> augmentation_;
  std::string augmentation_id_;  // hash of the chain's options and the run's seed
  int64_t seed_ = 0;
};

}  // namespace higgs
