// Reading, resampling, writing and hashing audio files: plain functions, no torch.
//
// Reading goes through libsndfile, so every format it decodes works (WAV/WAVEX/RF64, FLAC,
// OGG/Vorbis, OGG/Opus, MP3, AIFF, CAF, ...). Channels are averaged to mono. Resampling is
// soxr at SOXR_HQ, the engine and quality librosa uses by default (res_type="soxr_hq"), and the
// output length is ceil(n * out_rate / in_rate) as librosa.resample(fix=True) makes it.
//
// Every failure throws AudioError naming the file, the reason and what to do; the dataset turns
// it into one warning line and skips the sample.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace higgs {

/// A file that cannot be used as audio. `path` is the file (or a label such as
/// "sample 12 raw_audio" for in-memory audio), `reason` the short cause.
class AudioError : public std::runtime_error {
 public:
  AudioError(std::string path, std::string reason, const std::string& hint = "");
  std::string path;
  std::string reason;
};

/// What the file header says, without decoding samples.
struct AudioInfo {
  std::string path;
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;   // per channel; for MP3 an estimate from libsndfile
  std::string format;   // e.g. "WAV (Microsoft)", "FLAC (Free Lossless Audio Codec)"
  std::string subtype;  // e.g. "Signed 16 bit PCM", "Vorbis"
  double duration_seconds() const { return sample_rate > 0 ? double(frames) / sample_rate : 0.0; }
};

struct LoadAudioOptions {
  int target_sample_rate = 0;     // 0 keeps the file's rate
  double offset_seconds = 0.0;    // start of the slice, in the file's time
  double duration_seconds = 0.0;  // <= 0 reads to the end
  double max_seconds = 0.0;       // 0 = no limit; longer slices are refused (AudioError)
};

/// Mono samples in [-1, 1] (PCM is scaled by 1/2^(bits-1), as soundfile/librosa do).
struct AudioBuffer {
  std::vector<float> samples;
  int sample_rate = 0;
  int source_sample_rate = 0;  // the file's rate before resampling
  int source_channels = 0;
  double duration_seconds() const {
    return sample_rate > 0 ? double(samples.size()) / sample_rate : 0.0;
  }
};

/// Throws AudioError unless `path` is a readable, non-empty regular file (a directory, FIFO or
/// device is refused before anything reads it, so it can never block).
void check_regular_file(const std::string& path);

/// Header of an audio file. Throws AudioError for a missing or unreadable file.
AudioInfo probe_audio(const std::string& path);

/// Loads a file as mono float, sliced and resampled as asked. The slice [offset, offset+duration)
/// is cut in the file's sample rate by seeking (frame = floor(seconds * rate)), then resampled.
/// Throws AudioError: missing file, not a recognised audio format, no samples, offset beyond
/// the end, slice longer than max_seconds, decode error.
AudioBuffer load_audio(const std::string& path, const LoadAudioOptions& options = {});

/// Same as load_audio for encoded file bytes held in memory (e.g. a ChatML `raw_audio` field
/// after decode_base64). `label` names the source in errors.
AudioBuffer load_audio_from_memory(const std::vector<uint8_t>& bytes,
                                   const LoadAudioOptions& options = {},
                                   const std::string& label = "<in-memory audio>");

/// Decodes standard or URL-safe base64; whitespace is skipped, padding is optional, and a
/// "data:...;base64," prefix is accepted. Throws AudioError(label, ...) on a bad character.
std::vector<uint8_t> decode_base64(const std::string& text,
                                   const std::string& label = "<base64 audio>");

/// Resamples mono float audio with soxr (SOXR_HQ). Returns exactly ceil(n * out / in) samples
/// (soxr's output, trimmed or zero-padded by at most a sample or two). Same rate: a copy.
std::vector<float> resample(const std::vector<float>& samples, int in_rate, int out_rate);

/// Sample encodings for save_audio.
enum class AudioEncoding {
  kPcm16,    // WAV/FLAC 16-bit; values outside [-1, 1] are clipped, not wrapped
  kFloat32,  // WAV IEEE float: lossless for float samples
  kDefault,  // the natural one of the container: PCM16 for WAV/FLAC, Vorbis, Opus, MP3
};

/// Writes interleaved float samples. The container follows the extension: .wav, .flac, .ogg
/// (Vorbis), .opus (Ogg Opus; rate must be 8/12/16/24/48 kHz), .mp3. The file is written to
/// "<path>.tmp.<pid>" and renamed, so readers never see half a file. Throws AudioError.
void save_audio(const std::string& path, const std::vector<float>& interleaved, int sample_rate,
                int channels = 1, AudioEncoding encoding = AudioEncoding::kDefault);

/// Writes a mono WAV, 16-bit PCM (float32 = false) or IEEE float, atomically.
void save_wav(const std::string& path, const std::vector<float>& samples, int sample_rate,
              bool float32 = false);

/// XXH64 (seed 0) of the file's raw bytes as 16 lowercase hex digits; reads 4 MiB blocks.
/// Keys the audio-code cache: the same bytes give the same key whatever the file's name.
std::string hash_file(const std::string& path);
/// XXH64 (seed 0) of a byte range, as hash_file formats it.
std::string hash_bytes(const void* data, size_t size);

}  // namespace higgs
