// Data that flows between datasets, collators and models: named tensors plus where they came
// from. The framework never looks inside; components agree on the names.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "framework/config/config.h"

namespace higgs {

using TensorMap = std::map<std::string, at::Tensor>;

/// One training example: named tensors and a description of its source (file, index, speaker).
struct Example {
  TensorMap tensors;
  Json info = Json::object();
};

/// A collated batch.
struct Batch {
  TensorMap tensors;
  std::vector<Json> infos;      // one per example
  std::vector<size_t> indices;  // the examples' dataset indices (set by the DataLoader)
  size_t size() const { return infos.size(); }
  const at::Tensor& at(const std::string& name) const;
  bool has(const std::string& name) const {
    return tensors.count(name) && tensors.at(name).defined();
  }
};

/// A sample that cannot be used (missing file, corrupt audio, too long...). Datasets throw it;
/// loaders skip the sample with one warning naming `source` and count it.
class SampleError : public std::runtime_error {
 public:
  SampleError(std::string source, std::string reason)
      : std::runtime_error(source + ": " + reason),
        source_(std::move(source)),
        reason_(std::move(reason)) {}
  const std::string& source() const { return source_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string source_, reason_;
};

}  // namespace higgs
