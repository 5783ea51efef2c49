// metrics.jsonl and the progress display (a bar with rate and ETA on a terminal, plain lines
// otherwise).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "framework/config/config.h"

namespace higgs {

/// Appends one JSON object per line; each line is flushed so a crash loses nothing logged.
class MetricsWriter {
 public:
  MetricsWriter() = default;
  explicit MetricsWriter(const std::string& path);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;
  void write(const Json& record);

 private:
  std::FILE* file_ = nullptr;
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
