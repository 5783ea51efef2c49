#include "framework/tensor_io/checkpoint_match.h"

#include <sstream>

#include <c10/core/ScalarType.h>

namespace higgs::tensor_io {
namespace {

std::string dtype_text(at::ScalarType t) {
  try {
    return safetensors_dtype_name(t);
  } catch (const std::exception&) {
    return c10::toString(t);
  }
}

template <typename T, typename F>
void list(std::ostringstream& os, const char* title, const std::vector<T>& items, size_t limit,
          F&& line) {
  if (items.empty()) return;
  os << "\n" << title << " (" << items.size() << "):";
  for (size_t i = 0; i < items.size() && i < limit; ++i) os << "\n  " << line(items[i]);
  if (items.size() > limit) os << "\n  ... and " << items.size() - limit << " more";
}

}  // namespace

std::string describe(const TensorMeta& meta) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < meta.shape.size(); ++i) os << (i ? ", " : "") << meta.shape[i];
  os << "] " << dtype_text(meta.dtype);
  return os.str();
}

CheckpointMatchReport match_checkpoint(const std::map<std::string, TensorMeta>& expected,
                                       const std::map<std::string, TensorMeta>& actual) {
  CheckpointMatchReport r;
  for (const auto& [name, want] : expected) {
    auto it = actual.find(name);
    if (it == actual.end()) {
      r.missing.push_back(name);
    } else if (it->second.shape != want.shape) {
      r.shape_mismatches.push_back({name, want, it->second});
    } else {
      ++r.matched;
      if (it->second.dtype != want.dtype) r.dtype_mismatches.push_back({name, want, it->second});
    }
  }
  for (const auto& kv : actual)
    if (!expected.count(kv.first)) r.unexpected.push_back(kv.first);
  return r;
}

std::string format_match_report(const CheckpointMatchReport& r, const std::string& source,
                                size_t limit) {
  std::ostringstream os;
  os << "checkpoint " << source << ": " << r.matched << " tensors match, " << r.missing.size()
     << " missing, " << r.unexpected.size() << " unexpected, " << r.shape_mismatches.size()
     << " with another shape, " << r.dtype_mismatches.size() << " with another dtype";
  auto name = [](const std::string& s) { return s; };
  auto mismatch = [](const TensorMismatch& m) {
    return m.name + ": expected " + describe(m.expected) + ", checkpoint has " + describe(m.actual);
  };
  list(os, "missing from the checkpoint", r.missing, limit, name);
  list(os, "unexpected in the checkpoint", r.unexpected, limit, name);
  list(os, "shape mismatches", r.shape_mismatches, limit, mismatch);
  list(os, "dtype differences", r.dtype_mismatches, limit, mismatch);
  if (!r.ok())
    os << "\nThe checkpoint does not fit this model: check that the model config matches the "
          "checkpoint's config.json.";
  return os.str();
}

}  // namespace higgs::tensor_io
