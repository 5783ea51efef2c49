// Strict comparison of the tensors a model expects with those a checkpoint holds, so a loader can
// refuse a wrong checkpoint with one readable report instead of failing on the first name.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/tensor_io/safetensors.h"

namespace higgs::tensor_io {

/// A name present on both sides whose shape or dtype differs.
struct TensorMismatch {
  std::string name;
  TensorMeta expected;
  TensorMeta actual;
};

/// What differs between expected tensors and a checkpoint.
struct CheckpointMatchReport {
  std::vector<std::string> missing;     // expected, not in the checkpoint (sorted)
  std::vector<std::string> unexpected;  // in the checkpoint, not expected (sorted)
  std::vector<TensorMismatch> shape_mismatches;
  std::vector<TensorMismatch> dtype_mismatches;  // same shape, other dtype (a loader may convert)
  size_t matched = 0;                            // names present on both sides with equal shapes

  /// No missing, unexpected or shape-mismatched tensors; dtypes may differ.
  bool ok() const { return missing.empty() && unexpected.empty() && shape_mismatches.empty(); }
  /// ok() and every dtype equal.
  bool exact() const { return ok() && dtype_mismatches.empty(); }
};

/// Compares name -> (shape, dtype) maps.
CheckpointMatchReport match_checkpoint(const std::map<std::string, TensorMeta>& expected,
                                       const std::map<std::string, TensorMeta>& actual);

/// Human-readable report: counts, then the first `limit` names of each list. `source` names the
/// checkpoint. Lists nothing but the count line when the report is exact.
std::string format_match_report(const CheckpointMatchReport& report, const std::string& source,
                                size_t limit = 20);

/// "[2, 3] BF16"-style text of a tensor's shape and dtype.
std::string describe(const TensorMeta& meta);

}  // namespace higgs::tensor_io
