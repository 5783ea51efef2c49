// Kind `dataset`: an indexable collection of examples.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/train/types.h"

namespace higgs {

class TextTokenizer;
class AudioTokenizer;
class Augmentation;

/// What a dataset is built from besides its options: the recipe's tokenizers (null when the
/// recipe names none) and the config of the model it feeds, when known (its lengths bound the
/// samples; data-check has it from the model's config.json without loading weights).
struct DatasetArgs {
  std::shared_ptr<TextTokenizer> text_tokenizer;
  std::shared_ptr<AudioTokenizer> audio_tokenizer;
  std::optional<Json> model_config;
  /// The recipe's reference_augmentation, for training data only (empty otherwise), with its
  /// resolved options (they key the cached codes of augmented references) and the run's seed
  /// (which fixes every variant).
  std::vector<std::shared_ptr<Augmentation>> reference_augmentation;
  std::string augmentation_identity;
  int64_t seed = 0;
};

/// What a length-aware sampler, a filter report or a curriculum knows of one example without
/// loading it (no audio decoded: lengths come from the code cache or the audio headers).
struct SampleInfo {
  /// Positions the example takes in the model's sequence: text tokens + audio frames. A batch of
  /// n examples is padded to n x the longest of them.
  int64_t length = 0;
  /// Numeric facts a curriculum can order by ("target_seconds", "text_chars", a metadata field).
  std::map<std::string, double> fields;
};

class Dataset {
 public:
  static constexpr const char* kKind = "dataset";
  using Args = DatasetArgs;
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  /// Loads example `index`; throws SampleError for a sample that cannot be used. Must be safe
  /// to call from several loader threads at once.
  virtual Example get(size_t index) const = 0;
  /// Example `index` as epoch `epoch` sees it: a dataset that varies an example per epoch (an
  /// augmented reference drawn among cached variants) overrides this; it must depend on nothing
  /// but (index, epoch) so a resumed run sees the same examples.
  virtual Example get(size_t index, int64_t epoch) const {
    (void)epoch;
    return get(index);
  }
  /// Length and facts of example `index` without loading it; nullopt when the dataset cannot
  /// tell (length-aware samplers then refuse it). May be slow on its first call (it measures
  /// every example once); thread-safe.
  virtual std::optional<SampleInfo> info(size_t index) const {
    (void)index;
    return std::nullopt;
  }
  /// Labels of example `index` whose evaluation metrics are reported apart ("language/de",
  /// "dataset/libritts"); cheap (no audio read).
  virtual std::vector<std::string> labels(size_t index) const {
    (void)index;
    return {};
  }
  /// The datasets a mixture was made of, as contiguous index ranges, in order; empty for a
  /// dataset that is not a mixture.
  struct Part {
    std::string name;
    size_t begin = 0, size = 0;
  };
  virtual std::vector<Part> parts() const { return {}; }
  /// Examples the dataset's filters left out (they are not counted in size()): where each came
  /// from and why ("data.jsonl:7", "target_seconds > max_target_seconds").
  struct Dropped {
    std::string source, reason;
  };
  virtual std::vector<Dropped> dropped() const { return {}; }
  /// A short name for reports and mixed-dataset metrics ("libritts"); "" when it has none.
  virtual std::string name() const { return ""; }
  /// Where example `index` comes from, for messages ("data.jsonl:12").
  virtual std::string describe(size_t index) const { return "sample " + std::to_string(index); }
  /// Largest fraction of samples that may be skipped before the run fails.
  virtual double max_bad_fraction() const { return 0.0; }
  /// The files whose contents define the samples (a ChatML file); a checkpoint records their
  /// size and hash so that resuming after they changed is refused
  /// (framework/train/data_fingerprint.h).
  virtual std::vector<std::string> source_files() const { return {}; }
};

}  // namespace higgs
