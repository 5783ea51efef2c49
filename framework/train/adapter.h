// Kind `adapter`: trainable parameters added to a model (e.g. LoRA), saved on their own.
#pragma once

#include <string>

#include "framework/train/model.h"
#include "framework/train/optimizer.h"

namespace higgs {

/// Adds trainable parameters to a model (e.g. LoRA) and saves them on their own.
class Adapter {
 public:
  static constexpr const char* kKind = "adapter";
  virtual ~Adapter() = default;
  virtual void attach(Model& model) = 0;
  virtual ParameterList parameters() const = 0;
  /// Writes the adapter alone (e.g. PEFT layout) into `dir`.
  virtual void save(const std::string& dir) const = 0;
  virtual void load(const std::string& dir) = 0;
  /// Folds the adapter into the base weights (and back).
  virtual void merge() = 0;
  virtual void unmerge() = 0;
};

}  // namespace higgs
