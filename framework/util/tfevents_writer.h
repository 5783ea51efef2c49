// TensorBoard event files written directly: TFRecord framing (length, masked CRC-32C) around
// the few protobuf messages TensorBoard reads (Event, Summary.Value with simple_value, audio,
// histogram, text tensor, SessionLog). No TensorFlow or protobuf library: the encoding is a
// handful of varints and length-delimited fields (see tfevents_writer.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace higgs {

class TfEventsWriter {
 public:
  /// Creates `dir` and a new events.out.tfevents.SECONDS.HOST.PID.higgs file in it.
  explicit TfEventsWriter(const std::string& dir);
  ~TfEventsWriter();
  TfEventsWriter(const TfEventsWriter&) = delete;
  TfEventsWriter& operator=(const TfEventsWriter&) = delete;

  void scalar(const std::string& tag, double value, int64_t step);
  /// A text summary (TensorBoard's text plugin; markdown).
  void text(const std::string& tag, const std::string& text, int64_t step);
  /// An audio summary: the bytes of a whole WAV file.
  void audio(const std::string& tag, const std::string& wav_bytes, double sample_rate,
             int64_t channels, int64_t frames, int64_t step);
  /// A histogram of `values` in `buckets` equal-width buckets between their min and max.
  void histogram(const std::string& tag, const std::vector<double>& values, int64_t step,
                 int buckets = 30);
  /// A SessionLog START at `step`: TensorBoard drops what an earlier run wrote at or after that
  /// step (a run resumed from the checkpoint of step N starts one at N + 1).
  void session_start(int64_t step);
  /// Flushes to the disk (fdatasync).
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::string path_;
  int fd_ = -1;
};

}  // namespace higgs
