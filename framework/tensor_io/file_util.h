// Small POSIX file helpers for tensor_io: whole-file mapping and atomic writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace higgs::tensor_io {

/// A private, copy-on-write memory mapping of a whole file; unmapped on destruction.
class MappedFile {
 public:
  /// Throws std::runtime_error naming `path` when it cannot be opened or mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

/// Writes a file atomically: `write` receives a sink that appends bytes to `path`.tmp; the temp
/// file is then fsynced and renamed over `path`, and the directory is fsynced. On any error the
/// temp file is removed and std::runtime_error names `path`.
void write_file_atomically(
    const std::string& path,
    const std::function<void(const std::function<void(const void*, size_t)>&)>& write);

}  // namespace higgs::tensor_io
