// libsndfile reading/writing and soxr resampling behind audio_io.h.
#include "components/audio/audio_io.h"

#include <sndfile.h>
#include <soxr.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>

namespace higgs {

namespace {

std::string format_seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f s", s);
  return buf;
}

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string format_name(int format, bool subtype) {
  SF_FORMAT_INFO fi{};
  fi.format = format & (subtype ? SF_FORMAT_SUBMASK : SF_FORMAT_TYPEMASK);
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) != 0 || fi.name == nullptr)
    return "unknown";
  return fi.name;
}

// libsndfile reports sf_open failures through one process-wide error slot; opening under a lock
// keeps the reason of one failed open from being read by another thread's.
std::mutex& open_mutex() {
  static std::mutex m;
  return m;
}

// Opens with libsndfile; on failure throws AudioError with the reason in words a user can act on.
template <class Open>
SndfilePtr open_or_throw(const std::string& label, Open&& open) {
  int code;
  std::string detail;
  {
    std::lock_guard<std::mutex> lock(open_mutex());
    SndfilePtr f(open());
    if (f) return f;
    code = sf_error(nullptr);
    detail = sf_strerror(nullptr);
  }
  if (code == SF_ERR_UNRECOGNISED_FORMAT)
    throw AudioError(label, "not a recognised audio format (" + detail + ")",
                     "check that the file is a complete WAV/FLAC/OGG/Opus/MP3 file and not "
                     "truncated or mislabelled");
  if (code == SF_ERR_MALFORMED_FILE)
    throw AudioError(label, "malformed or corrupt audio file (" + detail + ")",
                     "re-export or re-download the file");
  if (code == SF_ERR_UNSUPPORTED_ENCODING)
    throw AudioError(label, "unsupported audio encoding (" + detail + ")",
                     "convert it, e.g. `sox in out.wav`");
  throw AudioError(label, "cannot be decoded (" + detail + ")",
                   "the file is probably truncated or corrupt; re-export it");
}

AudioInfo info_from(const std::string& label, const SF_INFO& sfi) {
  AudioInfo info;
  info.path = label;
  info.sample_rate = sfi.samplerate;
  info.channels = sfi.channels;
  info.frames = sfi.frames;
  info.format = format_name(sfi.format, false);
  info.subtype = format_name(sfi.format, true);
  return info;
}

// The frames to read of a file: where to start, how many (INT64_MAX: to the end), and whether
// the header knows the length (streams do not).
struct FrameSpan {
  int64_t start = 0, want = 0;
  bool known_length = true;
};

[[noreturn]] void throw_too_long(const std::string& label, int64_t frames, int rate,
                                 const LoadAudioOptions& opt) {
  throw AudioError(label,
                   "too long: " + format_seconds(double(frames) / rate) + " > max_seconds " +
                       format_seconds(opt.max_seconds),
                   "cut the file, or raise the dataset's max_audio_seconds in the recipe");
}

bool too_long(int64_t frames, int rate, const LoadAudioOptions& opt) {
  return opt.max_seconds > 0 && double(frames) / rate > opt.max_seconds;
}

// Checks the header and the requested offset and duration against it.
FrameSpan plan_read(const SF_INFO& sfi, const std::string& label, const LoadAudioOptions& opt) {
  if (sfi.samplerate <= 0 || sfi.channels <= 0)
    throw AudioError(label,
                     "invalid header (sample rate " + std::to_string(sfi.samplerate) +
                         ", channels " + std::to_string(sfi.channels) + ")",
                     "re-export the file");
  if (opt.offset_seconds < 0)
    throw AudioError(label, "negative offset " + format_seconds(opt.offset_seconds),
                     "use an offset >= 0");
  const int rate = sfi.samplerate;
  // libsndfile reports SF_COUNT_MAX when the length is unknown (streams); read until EOF then.
  const bool known_length = sfi.frames >= 0 && sfi.frames != SF_COUNT_MAX;
  if (known_length && sfi.frames == 0)
    throw AudioError(label, "no audio samples (0 frames)", "re-export or remove the file");

  // librosa.load cuts with int(seconds * sr): the same truncation here. Offsets and durations come
  // from data files: checked in floating point first, so a huge one cannot overflow the cast.
  if (!std::isfinite(opt.offset_seconds) || !std::isfinite(opt.duration_seconds))
    throw AudioError(label, "offset and duration must be finite numbers", "fix the sample");
  constexpr double kMaxFrames = 9.0e15;  // far beyond any real file, well inside int64_t
  const double start_frames = opt.offset_seconds * rate;
  if (start_frames >= kMaxFrames || (known_length && start_frames >= double(sfi.frames)))
    throw AudioError(
        label,
        "offset " + format_seconds(opt.offset_seconds) + " is at or beyond the end" +
            (known_length ? " (" + format_seconds(double(sfi.frames) / rate) + ")" : ""),
        "use a smaller offset");
  const int64_t start = static_cast<int64_t>(start_frames);
  if (known_length && start >= sfi.frames)
    throw AudioError(label,
                     "offset " + format_seconds(opt.offset_seconds) + " is at or beyond the end (" +
                         format_seconds(double(sfi.frames) / rate) + ")",
                     "use a smaller offset");
  const double want_frames = opt.duration_seconds * rate;
  int64_t want = opt.duration_seconds > 0 && want_frames < kMaxFrames
                     ? static_cast<int64_t>(want_frames)
                     : INT64_MAX;
  if (want == 0)
    throw AudioError(label,
                     "duration " + format_seconds(opt.duration_seconds) +
                         " is shorter than one sample at " + std::to_string(rate) + " Hz",
                     "use a longer duration, or 0 to read to the end");
  if (known_length) want = std::min<int64_t>(want, sfi.frames - start);
  if (known_length && too_long(want, rate, opt)) throw_too_long(label, want, rate, opt);
  return {start, want, known_length};
}

// Moves to frame `start`: a seek, or reading and dropping frames where the file cannot seek.
void skip_to(SNDFILE* file, const SF_INFO& sfi, int64_t start, const std::string& label,
             const LoadAudioOptions& opt) {
  const int channels = sfi.channels;
  if (start > 0) {
    if (sfi.seekable) {
      if (sf_seek(file, start, SEEK_SET) != start)
        throw AudioError(label, "cannot seek to " + format_seconds(opt.offset_seconds),
                         "re-encode the file (e.g. to WAV or FLAC)");
    } else {
      std::vector<float> skip(size_t(65536) * channels);
      for (int64_t left = start; left > 0;) {
        sf_count_t n = sf_readf_float(file, skip.data(), std::min<int64_t>(left, 65536));
        if (n <= 0)
          throw AudioError(label,
                           "offset " + format_seconds(opt.offset_seconds) + " is beyond the end",
                           "use a smaller offset");
        left -= n;
      }
    }
  }
}

// Reads the span's frames, averaging channels to mono.
AudioBuffer read_mono(SNDFILE* file, const SF_INFO& sfi, const FrameSpan& span,
                      const std::string& label, const LoadAudioOptions& opt) {
  const int rate = sfi.samplerate, channels = sfi.channels;
  const int64_t start = span.start, want = span.want;
  const bool known_length = span.known_length;
  AudioBuffer out;
  out.source_sample_rate = rate;
  out.source_channels = channels;
  out.sample_rate = rate;
  // The header's frame count is a claim, not a fact: a corrupt FLAC header can announce 2^36
  // frames in a few bytes. Reserve at most 4M samples; the vector grows if the data is longer.
  if (known_length) out.samples.reserve(size_t(std::min<int64_t>(want, int64_t(1) << 22)));
  const int64_t block = 65536;
  std::vector<float> buf(size_t(block) * channels);
  int64_t got = 0;
  while (got < want) {
    sf_count_t n = sf_readf_float(file, buf.data(), std::min(block, want - got));
    if (n <= 0) break;
    if (channels == 1) {
      out.samples.insert(out.samples.end(), buf.begin(), buf.begin() + n);
    } else {
      for (sf_count_t i = 0; i < n; ++i) {
        const float* f = &buf[size_t(i) * channels];
        float sum = 0.f;
        for (int c = 0; c < channels; ++c) sum += f[c];
        out.samples.push_back(sum / float(channels));
      }
    }
    got += n;
    if (too_long(got, rate, opt))
      throw_too_long(label, got, rate, opt);  // lengths unknown up front (streams)
  }
  if (sf_error(file) != SF_ERR_NO_ERROR)
    throw AudioError(label, std::string("decode error: ") + sf_strerror(file),
                     "the file is probably truncated or corrupt; re-export it");
  if (out.samples.empty()) {
    if (start > 0)
      throw AudioError(label,
                       "offset " + format_seconds(opt.offset_seconds) + " is at or beyond the end",
                       "use a smaller offset");
    throw AudioError(label, "no audio samples (0 frames decoded)",
                     "the file is probably truncated or corrupt; re-export or remove it");
  }
  return out;
}

// Float files can hold NaN/inf or absurd values; encoded, they become code 0 everywhere and the
// model trains on silence. Refuse them: the dataset skips the sample, counts it and names it.
void check_sample_values(const std::vector<float>& samples, int rate, const std::string& label) {
  constexpr float kMaxAbsSample = 64.0f;  // 36 dB above full scale: no real recording
  for (size_t i = 0; i < samples.size(); ++i) {
    const float v = samples[i];
    if (std::isfinite(v) && std::fabs(v) <= kMaxAbsSample) continue;
    const std::string at = format_seconds(double(i) / rate);
    char value[32];
    std::snprintf(value, sizeof(value), "%g", double(v));
    throw AudioError(
        label,
        std::isfinite(v)
            ? "sample value " + std::string(value) + " at " + at + " is far outside [-1, 1]"
            : std::string("contains NaN or infinite samples (first at ") + at + ")",
        "re-export the file (PCM, or float within [-1, 1])");
  }
}

// Reads the requested slice of an open file, averages channels and resamples.
AudioBuffer read_open(SNDFILE* file, const SF_INFO& sfi, const std::string& label,
                      const LoadAudioOptions& opt) {
  const FrameSpan span = plan_read(sfi, label, opt);
  if (span.start > 0) skip_to(file, sfi, span.start, label, opt);
  AudioBuffer out = read_mono(file, sfi, span, label, opt);
  check_sample_values(out.samples, sfi.samplerate, label);
  if (opt.target_sample_rate > 0 && opt.target_sample_rate != sfi.samplerate) {
    out.samples = resample(out.samples, sfi.samplerate, opt.target_sample_rate);
    out.sample_rate = opt.target_sample_rate;
  }
  return out;
}

// libsndfile virtual IO over a byte vector.
struct MemoryStream {
  const std::vector<uint8_t>* bytes;
  sf_count_t pos = 0;
};
sf_count_t mem_len(void* u) { return sf_count_t(static_cast<MemoryStream*>(u)->bytes->size()); }
sf_count_t mem_seek(sf_count_t off, int whence, void* u) {
  auto* m = static_cast<MemoryStream*>(u);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : mem_len(u);
  sf_count_t p = base + off;
  if (p < 0 || p > mem_len(u)) return -1;
  m->pos = p;
  return p;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* u) {
  auto* m = static_cast<MemoryStream*>(u);
  sf_count_t n = std::max<sf_count_t>(0, std::min(count, mem_len(u) - m->pos));
  if (n > 0) std::memcpy(ptr, m->bytes->data() + m->pos, size_t(n));
  m->pos += n;
  return n;
}
sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* u) { return static_cast<MemoryStream*>(u)->pos; }

int container_for(const std::string& path, AudioEncoding enc, std::string* err) {
  auto dot = path.find_last_of('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  const bool f32 = enc == AudioEncoding::kFloat32;
  if (ext == "wav") return SF_FORMAT_WAV | (f32 ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
  if (f32) {
    *err = "float32 samples can only be written to .wav";
    return 0;
  }
  if (ext == "flac") return SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  if (ext == "ogg") return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  if (ext == "opus") return SF_FORMAT_OGG | SF_FORMAT_OPUS;
  if (ext == "mp3") return SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  *err = "unknown extension \"." + ext + "\" (use .wav, .flac, .ogg, .opus or .mp3)";
  return 0;
}

}  // namespace

// Checks the path before libsndfile sees it, so a missing file is not reported as a format error.
void check_regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      throw AudioError(path, "file not found",
                       "check the path (relative audio paths are resolved against the data file)");
    throw AudioError(path, std::string("cannot access file: ") + std::strerror(errno),
                     "check the file's permissions");
  }
  // Before anything reads it: a FIFO or a device (/dev/zero) would block or never end.
  if (!S_ISREG(st.st_mode))
    throw AudioError(path,
                     std::string("not a regular file (") +
                         (S_ISDIR(st.st_mode)                          ? "a directory"
                          : S_ISFIFO(st.st_mode)                       ? "a FIFO"
                          : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                       : "not a file") +
                         ")",
                     "point audio_url to an audio file");
  if (::access(path.c_str(), R_OK) != 0)
    throw AudioError(path, std::string("cannot read file: ") + std::strerror(errno),
                     "check the file's permissions");
  if (st.st_size == 0)
    throw AudioError(path, "empty file (0 bytes)", "re-export or remove the file");
}

AudioError::AudioError(std::string p, std::string r, const std::string& hint)
    : std::runtime_error(p + ": " + r + (hint.empty() ? "" : "; " + hint)),
      path(std::move(p)),
      reason(std::move(r)) {}

AudioInfo probe_audio(const std::string& path) {
  check_regular_file(path);
  SF_INFO sfi{};
  SndfilePtr f = open_or_throw(path, [&] { return sf_open(path.c_str(), SFM_READ, &sfi); });
  return info_from(path, sfi);
}

AudioBuffer load_audio(const std::string& path, const LoadAudioOptions& options) {
  check_regular_file(path);
  SF_INFO sfi{};
  SndfilePtr f = open_or_throw(path, [&] { return sf_open(path.c_str(), SFM_READ, &sfi); });
  return read_open(f.get(), sfi, path, options);
}

AudioBuffer load_audio_from_memory(const std::vector<uint8_t>& bytes,
                                   const LoadAudioOptions& options, const std::string& label) {
  if (bytes.empty()) throw AudioError(label, "empty audio data (0 bytes)", "check the sample");
  MemoryStream stream{&bytes};
  SF_VIRTUAL_IO io{mem_len, mem_seek, mem_read, mem_write, mem_tell};
  SF_INFO sfi{};
  SndfilePtr f =
      open_or_throw(label, [&] { return sf_open_virtual(&io, SFM_READ, &sfi, &stream); });
  return read_open(f.get(), sfi, label, options);
}

std::vector<float> resample(const std::vector<float>& samples, int in_rate, int out_rate) {
  if (in_rate <= 0 || out_rate <= 0)
    throw std::invalid_argument("resample: rates must be positive, got " + std::to_string(in_rate) +
                                " -> " + std::to_string(out_rate));
  if (in_rate == out_rate || samples.empty()) return samples;
  // librosa: n_samples = int(np.ceil(n * ratio)) with a float ratio; kept bit for bit so the
  // frame counts of the audio codes agree with the reference pipeline.
  const double ratio = double(out_rate) / double(in_rate);
  const size_t n_out = size_t(std::ceil(double(samples.size()) * ratio));
  std::vector<float> out(n_out + 64, 0.f);
  soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  size_t idone = 0, odone = 0;
  soxr_error_t err = soxr_oneshot(in_rate, out_rate, 1, samples.data(), samples.size(), &idone,
                                  out.data(), out.size(), &odone, &io, &q, nullptr);
  if (err) throw std::runtime_error(std::string("soxr resampling failed: ") + err);
  out.resize(odone);
  out.resize(n_out, 0.f);  // librosa's fix_length: trim or zero-pad to n_out
  return out;
}

void save_audio(const std::string& path, const std::vector<float>& interleaved, int sample_rate,
                int channels, AudioEncoding encoding) {
  std::string err;
  int format = container_for(path, encoding, &err);
  if (!format) throw AudioError(path, "cannot write: " + err);
  if (channels <= 0 || interleaved.size() % size_t(channels) != 0)
    throw AudioError(path, "cannot write: " + std::to_string(interleaved.size()) +
                               " samples do not fill " + std::to_string(channels) + " channels");
  SF_INFO sfi{};
  sfi.samplerate = sample_rate;
  sfi.channels = channels;
  sfi.format = format;
  if (!sf_format_check(&sfi))
    throw AudioError(path,
                     "cannot write: libsndfile refuses this format at " +
                         std::to_string(sample_rate) + " Hz, " + std::to_string(channels) +
                         " channel(s)",
                     "Opus needs 8/12/16/24/48 kHz");
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  SndfilePtr f;
  std::string open_error;
  {
    std::lock_guard<std::mutex> lock(open_mutex());
    f.reset(sf_open(tmp.c_str(), SFM_WRITE, &sfi));
    if (!f) open_error = sf_strerror(nullptr);
  }
  if (!f)
    throw AudioError(path, "cannot create file: " + open_error,
                     "check that the directory exists and is writable");
  sf_command(f.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);  // clip, never wrap around
  const sf_count_t frames = sf_count_t(interleaved.size() / size_t(channels));
  sf_count_t written = sf_writef_float(f.get(), interleaved.data(), frames);
  sf_write_sync(f.get());
  std::string write_err = written == frames ? "" : sf_strerror(f.get());
  f.reset();
  if (!write_err.empty()) {
    std::remove(tmp.c_str());
    throw AudioError(path, "write failed: " + write_err, "check free disk space");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw AudioError(path, "cannot rename temporary file into place: " + why);
  }
}

void save_wav(const std::string& path, const std::vector<float>& samples, int sample_rate,
              bool float32) {
  save_audio(path, samples, sample_rate, 1,
             float32 ? AudioEncoding::kFloat32 : AudioEncoding::kPcm16);
}

}  // namespace higgs
