#include "framework/util/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "framework/util/fault.h"
#include "framework/util/xxh64.h"

namespace fs = std::filesystem;

namespace higgs {

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

namespace {
thread_local WrittenFileDigests* current_digests = nullptr;
}  // namespace

WrittenFileDigests::WrittenFileDigests() : previous_(current_digests) { current_digests = this; }
WrittenFileDigests::~WrittenFileDigests() { current_digests = previous_; }
WrittenFileDigests* WrittenFileDigests::current() { return current_digests; }
void WrittenFileDigests::record(const std::string& path, Digest digest) {
  files_[fs::path(path).lexically_normal().string()] = std::move(digest);
}

void write_file_atomic_stream(
    const std::string& path,
    const std::function<void(const std::function<void(const void*, size_t)>&)>& write) {
  static std::atomic<uint64_t> counter{0};
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp." + std::to_string(getpid()) +
                            "." + std::to_string(counter++)))
                        .string();
  auto error = [&](const std::string& what, int err) {
    return std::runtime_error("cannot write " + path + ": " + what + ": " + std::strerror(err) +
                              (err == ENOSPC ? " (the disk is full; free space and retry)" : ""));
  };
  WrittenFileDigests* digests = WrittenFileDigests::current();
  Xxh64 hash;
  uint64_t written = 0;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw error("cannot create a temporary file", errno);
  // Closes and removes the temporary file, once: a second close could hit a descriptor that
  // another thread has opened since.
  auto fail = [&](const std::string& what, int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw error(what, err);
  };
  auto sink = [&](const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    if (digests) {
      hash.update(p, n);
      written += n;
    }
    while (n > 0) {
      ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw error("write failed", errno);  // the catch below closes and removes
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    if (int err = fault_point("file.write", path)) throw error("write failed", err);  // tests only
  };
  try {
    write(sink);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::fsync(fd) != 0) fail("fsync failed", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": close failed: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  fsync_path(dir.string());  // make the rename itself durable
  if (digests) digests->record(path, {written, hash.hex()});
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic_stream(path, [&](const auto& sink) { sink(content.data(), content.size()); });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace higgs
