#include "framework/train/metrics_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "framework/util/fault.h"

namespace higgs {

MetricsWriter::MetricsWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
  // A last line without its newline is what a crash or a full disk left mid-write: drop it.
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
    const off_t size = st.st_size;
    off_t keep = size;
    char c = 0;
    while (keep > 0 && ::pread(fd_, &c, 1, keep - 1) == 1 && c != '\n') --keep;
    if (keep != size && ::ftruncate(fd_, keep) == 0)
      spdlog::warn("{}: removed a torn last line ({} bytes) left by an interrupted write", path,
                   static_cast<long long>(size - keep));
  }
}

MetricsWriter::~MetricsWriter() {
  if (fd_ >= 0) ::close(fd_);
}

bool MetricsWriter::write(const Json& record) {
  if (fd_ < 0) return false;
  const std::string line = record.dump() + "\n";
  struct stat st {};
  const off_t before = ::fstat(fd_, &st) == 0 ? st.st_size : -1;
  size_t done = 0;
  int err = 0;
  while (done < line.size()) {
    // A test fault writes half the line and fails, as a disk that fills mid-line does.
    const int injected = fault_point("metrics.write", path_);
    const size_t n = injected ? (line.size() - done) / 2 : line.size() - done;
    const ssize_t w = ::write(fd_, line.data() + done, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 || injected) {
      err = w < 0 ? errno : injected;
      break;
    }
    done += static_cast<size_t>(w);
  }
  if (!err) {
    ::fdatasync(fd_);
    if (lost_ > 0)
      spdlog::info("{}: writing again ({} line(s) were lost)", path_,
                   static_cast<long long>(lost_));
    lost_ = 0;
    return true;
  }
  if (before >= 0) ::ftruncate(fd_, before);  // no torn line stays behind
  if (lost_++ == 0)
    spdlog::warn("{}: cannot write a metrics line: {}{}; training goes on, the line is lost", path_,
                 std::strerror(err), err == ENOSPC ? " (the disk is full)" : "");
  return false;
}

}  // namespace higgs
