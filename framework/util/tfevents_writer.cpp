#include "framework/util/tfevents_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "framework/util/crc32c.h"

namespace higgs {
namespace {

// Protocol buffer wire format: a field is (number << 3 | wire type), then its value.
enum WireType { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_key(std::string& out, int field, WireType type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | type);
}

void put_int(std::string& out, int field, int64_t v) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<uint64_t>(v));
}

void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_key(out, field, kBytes);
  put_varint(out, bytes.size());
  out += bytes;
}

template <typename T>
void put_raw(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian, as x86-64 and ARM64 Linux are
  out.append(b, sizeof(T));
}

void put_double(std::string& out, int field, double v) {
  put_key(out, field, kFixed64);
  put_raw(out, v);
}

void put_float(std::string& out, int field, float v) {
  put_key(out, field, kFixed32);
  put_raw(out, v);
}

void put_packed_doubles(std::string& out, int field, const std::vector<double>& vs) {
  std::string packed;
  for (double v : vs) put_raw(packed, v);
  put_bytes(out, field, packed);
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Event {double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5;
//        SessionLog session_log = 7;}
std::string event_header(int64_t step) {
  std::string e;
  put_double(e, 1, wall_time());
  put_int(e, 2, step);
  return e;
}

// Summary {repeated Value value = 1;}, Value {string tag = 1; float simple_value = 2;
// HistogramProto histo = 5; Audio audio = 6; TensorProto tensor = 8; SummaryMetadata metadata = 9}
std::string summary_event(int64_t step, const std::string& value) {
  std::string summary;
  put_bytes(summary, 1, value);
  std::string e = event_header(step);
  put_bytes(e, 5, summary);
  return e;
}

}  // namespace

TfEventsWriter::TfEventsWriter(const std::string& dir) {
  std::filesystem::create_directories(dir);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  const auto seconds = static_cast<long long>(wall_time());
  path_ = (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(seconds) + "." +
                                         host + "." + std::to_string(getpid()) + ".higgs"))
              .string();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
  std::string e = event_header(0);
  put_bytes(e, 3, "brain.Event:2");
  write_event(e);
}

TfEventsWriter::~TfEventsWriter() {
  if (fd_ < 0) return;
  ::fdatasync(fd_);
  ::close(fd_);
}

void TfEventsWriter::write_event(const std::string& event) {
  // TFRecord: uint64 length, uint32 masked CRC of the length, the data, uint32 masked CRC of it.
  std::string record;
  const uint64_t n = event.size();
  put_raw(record, n);
  put_raw(record, masked_crc32c(record.data(), 8));
  record += event;
  put_raw(record, masked_crc32c(event.data(), event.size()));
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t w = ::write(fd_, record.data() + done, record.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
    done += static_cast<size_t>(w);
  }
}

void TfEventsWriter::scalar(const std::string& tag, double value, int64_t step) {
  std::string v;
  put_bytes(v, 1, tag);
  put_float(v, 2, static_cast<float>(value));
  write_event(summary_event(step, v));
}

void TfEventsWriter::text(const std::string& tag, const std::string& text, int64_t step) {
  // metadata {plugin_data {plugin_name: "text"}}, tensor {dtype: DT_STRING (7),
  // tensor_shape {dim {size: 1}}, string_val: text}
  std::string plugin, metadata, dim, shape, tensor, v;
  put_bytes(plugin, 1, "text");
  put_bytes(metadata, 1, plugin);
  put_int(dim, 1, 1);
  put_bytes(shape, 2, dim);
  put_int(tensor, 1, 7);
  put_bytes(tensor, 2, shape);
  put_bytes(tensor, 8, text);
  put_bytes(v, 1, tag);
  put_bytes(v, 9, metadata);
  put_bytes(v, 8, tensor);
  write_event(summary_event(step, v));
}

void TfEventsWriter::audio(const std::string& tag, const std::string& wav_bytes, double sample_rate,
                           int64_t channels, int64_t frames, int64_t step) {
  // Audio {float sample_rate = 1; int64 num_channels = 2; int64 length_frames = 3;
  //        bytes encoded_audio_string = 4; string content_type = 5;}
  std::string a, v;
  put_float(a, 1, static_cast<float>(sample_rate));
  put_int(a, 2, channels);
  put_int(a, 3, frames);
  put_bytes(a, 4, wav_bytes);
  put_bytes(a, 5, "audio/wav");
  put_bytes(v, 1, tag);
  put_bytes(v, 6, a);
  write_event(summary_event(step, v));
}

void TfEventsWriter::histogram(const std::string& tag, const std::vector<double>& values,
                               int64_t step, int buckets) {
  std::vector<double> finite;
  for (double x : values)
    if (std::isfinite(x)) finite.push_back(x);  // a NaN norm has no bucket
  if (finite.empty() || buckets < 1) return;
  const std::vector<double>& values_ = finite;
  // HistogramProto {double min = 1; max = 2; num = 3; sum = 4; sum_squares = 5;
  //                 repeated double bucket_limit = 6 [packed]; repeated double bucket = 7;}
  const auto [lo, hi] = std::minmax_element(values_.begin(), values_.end());
  double sum = 0, squares = 0;
  for (double x : values_) sum += x, squares += x * x;
  const double width = *hi > *lo ? (*hi - *lo) / buckets : 1.0;
  std::vector<double> limits(static_cast<size_t>(buckets)), counts(limits.size(), 0.0);
  for (int b = 0; b < buckets; ++b) limits[static_cast<size_t>(b)] = *lo + width * (b + 1);
  for (double x : values_) {
    const auto b = std::min<size_t>(limits.size() - 1, static_cast<size_t>((x - *lo) / width));
    counts[b] += 1;
  }
  std::string h, v;
  put_double(h, 1, *lo);
  put_double(h, 2, *hi);
  put_double(h, 3, static_cast<double>(values_.size()));
  put_double(h, 4, sum);
  put_double(h, 5, squares);
  put_packed_doubles(h, 6, limits);
  put_packed_doubles(h, 7, counts);
  put_bytes(v, 1, tag);
  put_bytes(v, 5, h);
  write_event(summary_event(step, v));
}

void TfEventsWriter::session_start(int64_t step) {
  std::string log, e = event_header(step);
  put_int(log, 1, 1);  // SessionLog {SessionStatus status = 1;}, START = 1
  put_bytes(e, 7, log);
  write_event(e);
}

void TfEventsWriter::flush() {
  if (fd_ >= 0) ::fdatasync(fd_);
}

}  // namespace higgs
