// safetensors reading (mmap, zero-copy) and writing (atomic), following the format of
// huggingface/safetensors: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {str: str}}, then the data.
// See docs/checkpoints-format.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace higgs::tensor_io {

/// Name, shape and dtype of one tensor, without its data.
struct TensorMeta {
  at::ScalarType dtype = at::kFloat;
  std::vector<int64_t> shape;
};

/// One tensor entry of a safetensors header; offsets are relative to the start of the data section.
struct SafetensorsEntry {
  TensorMeta meta;
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// A parsed and validated safetensors header.
struct SafetensorsHeader {
  std::vector<std::pair<std::string, SafetensorsEntry>> entries;  // in header order
  std::map<std::string, std::string> metadata;                    // the "__metadata__" map
  uint64_t data_start = 0;  // byte offset of the data section in the file (8 + header length)
};

/// Parses and strictly validates the header of a safetensors file held in `data[0, size)`.
/// Throws std::runtime_error naming `source` and the offending tensor. Safe on any input (fuzzed).
SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size,
                                           const std::string& source);

/// The safetensors dtype string ("F32", "BF16", ...) of a scalar type; throws if it has none.
std::string safetensors_dtype_name(at::ScalarType t);

/// A readable safetensors file. Copies share the mapping; tensors returned by tensor() keep it
/// alive, so they stay valid after the SafetensorsFile is gone.
class SafetensorsFile {
 public:
  /// Maps `path` (read-only on disk; pages written through a returned tensor are private
  /// copy-on-write) and validates its header.
  static SafetensorsFile open(const std::string& path);
  /// Takes a copy of an in-memory file image; `source` names it in errors.
  static SafetensorsFile from_buffer(const void* data, size_t size, const std::string& source);

  const std::string& path() const;
  /// Tensor names in header order.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  /// Shape and dtype; throws naming the file when `name` is absent.
  const TensorMeta& info(const std::string& name) const;
  std::map<std::string, TensorMeta> infos() const;
  const std::map<std::string, std::string>& metadata() const;
  /// A CPU tensor over the mapped bytes (zero-copy when its data is aligned to the element size,
  /// a copy otherwise).
  at::Tensor tensor(const std::string& name) const;
  /// Every tensor, by name.
  std::map<std::string, at::Tensor> tensors() const;
  /// Start and size of the whole file image in memory (for tests and diagnostics).
  const uint8_t* image_data() const;
  size_t image_size() const;

  struct Impl;

 private:
  explicit SafetensorsFile(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

/// Writes `tensors` to `path` in the layout of the Python safetensors library (tensors ordered by
/// dtype alignment then name, header padded with spaces to a multiple of 8, "__metadata__" first).
/// Non-contiguous or non-CPU tensors are copied. The file is written to `path`.tmp, fsynced and
/// renamed, so a crash never leaves a half-written file at `path`.
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// The bytes save_safetensors would write (used by it, and by tests).
std::string serialize_safetensors(const std::map<std::string, at::Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace higgs::tensor_io
