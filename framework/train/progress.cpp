#include "framework/train/progress.h"

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

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", (long long)(t / 3600),
                  (long long)(t % 3600 / 60));
  else if (t >= 60)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
  else
    std::snprintf(buf, sizeof(buf), "%llds", (long long)t);
  return buf;
}

Progress::Progress(int64_t total_steps, int64_t first_step, bool enabled, bool bar)
    : total_(total_steps),
      first_(first_step),
      step_(first_step),
      enabled_(enabled),
      tty_(enabled && bar && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

double Progress::steps_per_second() const {
  double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return el > 0 ? double(step_ - first_) / el : 0.0;
}

void Progress::draw() {
  if (!tty_) return;
  double rate = steps_per_second();
  double eta = rate > 0 ? double(total_ - step_) / rate : -1;
  int width = 24;
  int filled = total_ > 0 ? static_cast<int>(width * double(step_) / double(total_)) : 0;
  std::string bar(filled, '#');
  bar += std::string(width - filled, '.');
  std::fprintf(stderr, "\r\033[K[%s] %lld/%lld %.2f step/s ETA %s %s", bar.c_str(),
               (long long)step_, (long long)total_, rate, format_duration(eta).c_str(),
               line_.c_str());
  std::fflush(stderr);
}

void Progress::update(int64_t step, const std::string& line) {
  step_ = step;
  line_ = line;
  draw();
}

void Progress::log(const std::string& message) {
  if (tty_) std::fprintf(stderr, "\r\033[K");
  if (enabled_) spdlog::info("{}", message);
  draw();
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace higgs
