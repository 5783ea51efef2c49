// metrics.jsonl and the progress display (a bar with rate and ETA on a terminal, plain lines
// otherwise).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "framework/config/config.h"

namespace higgs {

/// Appends one JSON object per line. Each line goes out in one append and is synced, so a crash
/// loses nothing logged; a line that cannot be written whole (a full disk) is cut back off, with a
/// warning, so the file never holds a torn line; a torn last line left by an earlier crash is
/// removed on open (with a warning).
class MetricsWriter {
 public:
  MetricsWriter() = default;
  explicit MetricsWriter(const std::string& path);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;
  /// false when the line could not be written (already warned).
  bool write(const Json& record);

 private:
  std::string path_;
  int fd_ = -1;
  int64_t lost_ = 0;  // lines not written, for one warning per run of failures
};

class Progress {
 public:
  /// `enabled`: this process logs (rank 0); `bar`: draw a bar when stderr is a terminal.
  Progress(int64_t total_steps, int64_t first_step, bool enabled, bool bar = true);
  /// Updates the bar (terminal) after a step; `line` is a short "loss 1.23" text.
  void update(int64_t step, const std::string& line);
  /// Prints a log line above the bar (or plainly).
  void log(const std::string& message);
  void finish();
  double steps_per_second() const;

 private:
  void draw();
  int64_t total_, first_, step_;
  bool enabled_, tty_;
  std::string line_;
  std::chrono::steady_clock::time_point start_;
};

/// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace higgs
