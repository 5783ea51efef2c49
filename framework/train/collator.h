// Kind `collator`: turns examples into a batch.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "framework/train/types.h"

namespace higgs {

class FeatureExtractor;

/// What a collator is built from besides its options: the config of the model it feeds (token
/// ids, codebook layout), the recipe's feature extractor (null when it has none), and whether
/// this process is the main rank (which alone logs layout warnings).
struct CollatorArgs {
  std::optional<Json> model_config;
  std::shared_ptr<FeatureExtractor> feature_extractor;
  bool main_rank = true;
};

class Collator {
 public:
  static constexpr const char* kKind = "collator";
  using Args = CollatorArgs;
  virtual ~Collator() = default;
  virtual Batch collate(const std::vector<Example>& examples) const = 0;
};

}  // namespace higgs
