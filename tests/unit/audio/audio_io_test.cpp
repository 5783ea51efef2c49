// load_audio / resample / save_audio on files made here: espeak-ng speech converted by sox to
// other rates, channel counts and formats, and synthetic signals written by save_audio.
#include "components/audio/audio_io.h"

#include <cmath>

#include <doctest/doctest.h>

#include "tests/unit/audio/audio_fixtures.h"

using higgs::AudioBuffer;
using higgs::LoadAudioOptions;
using higgs::audio_test::sh;
using higgs::audio_test::TempDir;

namespace {

const double kPi = 3.14159265358979323846;

// librosa.resample's output length: int(np.ceil(n * (out / in))).
size_t resampled_length(size_t n, int in, int out) {
  return size_t(std::ceil(double(n) * (double(out) / double(in))));
}

// Normalised correlation of a and b over their common prefix.
double correlation(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb + 1e-30);
}

double rms(const std::vector<float>& a) {
  double s = 0;
  for (float v : a) s += double(v) * v;
  return std::sqrt(s / double(a.size()));
}

std::vector<float> sine(double freq, double amp, int rate, size_t n) {
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i) s[i] = float(amp * std::sin(2 * kPi * freq * double(i) / rate));
  return s;
}

}  // namespace

TEST_CASE("audio_io: espeak-ng speech in every format libsndfile reads") {
  TempDir dir("audio_io");
  const std::string wav = dir / "s.wav";
  REQUIRE(sh("espeak-ng -w " + wav + " 'The quick brown fox jumps over the lazy dog.'") == 0);
  REQUIRE(sh("sox " + wav + " -r 44100 -c 2 " + (dir / "s44_stereo.wav")) == 0);
  REQUIRE(sh("sox " + wav + " " + (dir / "s.flac")) == 0);
  REQUIRE(sh("sox " + wav + " -r 48000 " + (dir / "s48.mp3")) == 0);
  REQUIRE(sh("sox " + wav + " " + (dir / "s.ogg")) == 0);

  const higgs::AudioInfo info = higgs::probe_audio(wav);
  CHECK(info.sample_rate == 22050);
  CHECK(info.channels == 1);
  REQUIRE(info.frames > 22050);  // a sentence lasts more than a second
  const size_t n = size_t(info.frames);

  const AudioBuffer ref = higgs::load_audio(wav);
  REQUIRE(ref.samples.size() == n);
  CHECK(ref.sample_rate == 22050);
  CHECK(ref.source_channels == 1);
  CHECK(rms(ref.samples) > 0.01);

  SUBCASE("FLAC is lossless: identical samples") {
    const AudioBuffer flac = higgs::load_audio(dir / "s.flac");
    CHECK(flac.samples == ref.samples);
  }
  SUBCASE("resampled lengths follow librosa's ceil(n * ratio)") {
    for (int rate : {24000, 16000, 44100, 8000}) {
      LoadAudioOptions o;
      o.target_sample_rate = rate;
      const AudioBuffer r = higgs::load_audio(wav, o);
      CHECK(r.sample_rate == rate);
      CHECK(r.source_sample_rate == 22050);
      CHECK(r.samples.size() == resampled_length(n, 22050, rate));
    }
  }
  SUBCASE("44.1 kHz stereo WAV: downmixed, resampled to 24 kHz") {
    const auto p = dir / "s44_stereo.wav";
    const higgs::AudioInfo i44 = higgs::probe_audio(p);
    CHECK(i44.sample_rate == 44100);
    CHECK(i44.channels == 2);
    CHECK(i44.frames == int64_t(2 * n));  // sox's rate effect is exact for a 2:1 ratio
    LoadAudioOptions o;
    o.target_sample_rate = 24000;
    const AudioBuffer r = higgs::load_audio(p, o);
    CHECK(r.source_channels == 2);
    CHECK(r.source_sample_rate == 44100);
    CHECK(r.samples.size() == resampled_length(size_t(i44.frames), 44100, 24000));
    // Same speech as the 22.05 kHz original taken to 24 kHz directly.
    o.target_sample_rate = 24000;
    const AudioBuffer direct = higgs::load_audio(wav, o);
    CHECK(correlation(r.samples, direct.samples) > 0.99);
  }
  SUBCASE("OGG/Vorbis keeps the frame count; lossy but the same signal") {
    const AudioBuffer ogg = higgs::load_audio(dir / "s.ogg");
    CHECK(ogg.samples.size() == n);
    CHECK(correlation(ogg.samples, ref.samples) > 0.95);
  }
  SUBCASE("MP3 at 48 kHz: sox's encoder padding is kept, the speech is there") {
    const higgs::AudioInfo i48 = higgs::probe_audio(dir / "s48.mp3");
    CHECK(i48.sample_rate == 48000);
    LoadAudioOptions o;
    o.target_sample_rate = 16000;
    const AudioBuffer r = higgs::load_audio(dir / "s48.mp3", o);
    const size_t exact = resampled_length(n, 22050, 16000);
    CHECK(r.samples.size() >= exact);
    CHECK(r.samples.size() <= exact + 4 * 1152 / 3);  // at most four MPEG frames of padding
    CHECK(std::abs(rms(r.samples) / rms(ref.samples) - 1.0) < 0.1);
  }
  SUBCASE("Opus written by save_audio at 48 kHz") {
    LoadAudioOptions o;
    o.target_sample_rate = 48000;
    const AudioBuffer s48 = higgs::load_audio(wav, o);
    higgs::save_audio(dir / "s.opus", s48.samples, 48000);
    const AudioBuffer opus = higgs::load_audio(dir / "s.opus");
    CHECK(opus.sample_rate == 48000);
    CHECK(opus.samples.size() == s48.samples.size());
    CHECK(correlation(opus.samples, s48.samples) > 0.9);
  }
  SUBCASE("MP3 written by libsndfile keeps the exact frame count") {
    higgs::save_audio(dir / "lib.mp3", ref.samples, 22050);
    const AudioBuffer mp3 = higgs::load_audio(dir / "lib.mp3");
    CHECK(mp3.samples.size() == n);
    CHECK(correlation(mp3.samples, ref.samples) > 0.9);
  }
}

TEST_CASE("audio_io: stereo downmix is the exact channel mean") {
  TempDir dir("audio_mix");
  const int rate = 16000;
  const size_t frames = 1000;
  std::vector<float> inter(2 * frames), want(frames);
  for (size_t i = 0; i < frames; ++i) {
    const float a = float(0.7 * std::sin(0.01 * double(i)));
    const float b = float(-0.3 + 0.0005 * double(i % 997));
    inter[2 * i] = a;
    inter[2 * i + 1] = b;
    want[i] = (a + b) / 2.f;
  }
  higgs::save_audio(dir / "st.wav", inter, rate, 2, higgs::AudioEncoding::kFloat32);
  const AudioBuffer m = higgs::load_audio(dir / "st.wav");
  CHECK(m.source_channels == 2);
  REQUIRE(m.samples.size() == frames);
  for (size_t i = 0; i < frames; ++i) REQUIRE(m.samples[i] == want[i]);
  CHECK(m.samples[0] == -0.15f);  // (0 + -0.3) / 2
}

TEST_CASE("audio_io: offset and duration slice exact samples") {
  TempDir dir("audio_slice");
  const int rate = 16000;
  std::vector<float> ramp(3 * rate);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = float(i) / float(ramp.size());
  higgs::save_wav(dir / "ramp.wav", ramp, rate, /*float32=*/true);

  LoadAudioOptions o;
  o.offset_seconds = 0.5;
  o.duration_seconds = 0.25;
  AudioBuffer s = higgs::load_audio(dir / "ramp.wav", o);
  REQUIRE(s.samples.size() == 4000);
  CHECK(s.samples.front() == ramp[8000]);
  CHECK(s.samples.back() == ramp[11999]);

  o.offset_seconds = 1.2345;  // int(1.2345 * 16000) = 19752
  o.duration_seconds = 0;     // to the end
  s = higgs::load_audio(dir / "ramp.wav", o);
  REQUIRE(s.samples.size() == ramp.size() - 19752);
  CHECK(s.samples.front() == ramp[19752]);
  CHECK(s.samples.back() == ramp.back());

  o.offset_seconds = 2.5;
  o.duration_seconds = 10;  // past the end: clipped to what is there
  s = higgs::load_audio(dir / "ramp.wav", o);
  CHECK(s.samples.size() == 8000);

  // Slicing happens at the file's rate, then the slice is resampled.
  o.offset_seconds = 1.0;
  o.duration_seconds = 1.0;
  o.target_sample_rate = 24000;
  s = higgs::load_audio(dir / "ramp.wav", o);
  CHECK(s.samples.size() == 24000);
}

TEST_CASE("audio_io: 1 kHz sine resampled 44.1k -> 24k keeps frequency and amplitude") {
  const int in = 44100, out = 24000;
  const std::vector<float> x = sine(1000.0, 0.5, in, size_t(in) * 2);
  const std::vector<float> y = higgs::resample(x, in, out);
  // librosa's int(np.ceil(88200 * (24000 / 44100))) is 48001: the float ratio rounds up.
  REQUIRE(y.size() == 48001);
  // soxr is linear phase with its delay removed: the output is the same sine sampled at 24 kHz.
  const std::vector<float> want = sine(1000.0, 0.5, out, y.size());
  double worst = 0, peak = 0;
  int crossings = 0;
  for (size_t i = 1000; i < y.size() - 1000; ++i) {  // away from the edge transients
    worst = std::max(worst, std::abs(double(y[i]) - want[i]));
    peak = std::max(peak, std::abs(double(y[i])));
    if ((y[i - 1] < 0) != (y[i] < 0)) ++crossings;
  }
  CHECK(worst < 1e-4);  // SOXR_HQ is 20-bit quality; measured 3e-7
  CHECK(std::abs(peak - 0.5) < 1e-2);
  // 46000 samples = 1.9167 s of a 1 kHz sine: 2 crossings per period.
  CHECK(std::abs(crossings - 2.0 * 1000.0 * 46000.0 / out) <= 2.0);
}

TEST_CASE("audio_io: resample edge cases and save_wav round trip") {
  CHECK(higgs::resample({}, 44100, 24000).empty());
  const std::vector<float> x = {0.1f, -0.2f, 0.3f};
  CHECK(higgs::resample(x, 16000, 16000) == x);
  CHECK(higgs::resample(x, 16000, 48000).size() == 9);
  CHECK_THROWS_AS(higgs::resample(x, 0, 16000), std::invalid_argument);

  TempDir dir("audio_save");
  // 16-bit PCM: libsndfile scales by 32767 on write and 1/32768 on read.
  higgs::save_wav(dir / "p.wav", {0.5f, -0.5f, 1.5f, -1.5f}, 8000);
  const AudioBuffer p = higgs::load_audio(dir / "p.wav");
  REQUIRE(p.samples.size() == 4);
  CHECK(p.samples[0] == doctest::Approx(0.5).epsilon(1e-4));
  CHECK(p.samples[1] == doctest::Approx(-0.5).epsilon(1e-4));
  CHECK(p.samples[2] == doctest::Approx(1.0).epsilon(1e-4));  // clipped, not wrapped
  CHECK(p.samples[3] == doctest::Approx(-1.0).epsilon(1e-4));
  const higgs::AudioInfo pi = higgs::probe_audio(dir / "p.wav");
  CHECK(pi.subtype.find("16 bit") != std::string::npos);
  // No temporary file is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  CHECK(files == 1);
  CHECK_THROWS_AS(higgs::save_audio(dir / "x.aac", x, 16000), higgs::AudioError);
  CHECK_THROWS_AS(higgs::save_audio(dir / "x.opus", x, 44100), higgs::AudioError);
}
