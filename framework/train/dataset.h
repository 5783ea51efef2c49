// Kind `dataset`: an indexable collection of examples.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/train/types.h"

namespace higgs {

class TextTokenizer;
class AudioTokenizer;

/// What a dataset is built from besides its options: the recipe's tokenizers (null when the
/// recipe names none) and the config of the model it feeds, when known (its lengths bound the
/// samples; data-check has it from the model's config.json without loading weights).
struct DatasetArgs {
  std::shared_ptr<TextTokenizer> text_tokenizer;
  std::shared_ptr<AudioTokenizer> audio_tokenizer;
  std::optional<Json> model_config;
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
