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
  Example get(size_t index) const override;
  std::string describe(size_t index) const override;
  double max_bad_fraction() const override { return o_.max_bad_fraction; }
  std::vector<std::string> source_files() const override { return {o_.path}; }

  const ChatMLSample& sample(size_t index) const { return samples_.at(index); }
  /// Codes of one audio content (from the cache or freshly encoded).
  at::Tensor codes_for(const ChatMLContent& audio, const std::string& where) const;
  const CodeCache& cache() const { return *cache_; }

  /// One audio item of a sample, with a label for messages ("data.jsonl:3 audio 1 (a.wav)").
  struct AudioRef {
    ChatMLContent audio;
    std::string where;
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
};

}  // namespace higgs
