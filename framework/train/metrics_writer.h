// metrics.jsonl: the training and evaluation metrics, one JSON object per line.
#pragma once

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

}  // namespace higgs
