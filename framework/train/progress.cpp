#include "framework/train/progress.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace higgs {

MetricsWriter::MetricsWriter(const std::string& path) {
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw std::runtime_error("cannot open " + path + " for writing");
}

MetricsWriter::~MetricsWriter() {
  if (file_) std::fclose(file_);
}

void MetricsWriter::write(const Json& record) {
  if (!file_) return;
  std::string line = record.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  int64_t t = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", (long long)(t / 3600), (long long)(t % 3600 / 60));
  else if (t >= 60)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", (long long)(t / 60), (long long)(t % 60));
  else
    std::snprintf(buf, sizeof(buf), "%llds", (long long)t);
  return buf;
}

Progress::Progress(int64_t total_steps, int64_t first_step, bool enabled, bool bar)
    : total_(total_steps), first_(first_step), step_(first_step), enabled_(enabled),
      tty_(enabled && bar && isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}

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
