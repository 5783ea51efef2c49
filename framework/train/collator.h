// Kind `collator`: turns examples into a batch.
#pragma once

#include <vector>

#include "framework/train/types.h"

namespace higgs {

class Collator {
 public:
  static constexpr const char* kKind = "collator";
  virtual ~Collator() = default;
  virtual Batch collate(const std::vector<Example>& examples) const = 0;
};

}  // namespace higgs
