#include "components/generation/audio_quality.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>

#include "components/audio/fft.h"

namespace higgs::generation {
namespace {

constexpr double kSilenceDb = -120;

double to_db(double amplitude) {
  return amplitude > 1e-6 ? 20.0 * std::log10(amplitude) : kSilenceDb;
}

// Geometric over arithmetic mean of the power spectrum (without DC) of a Hann-windowed frame.
double spectral_flatness(const float* x, size_t n, size_t fft_size) {
  std::vector<std::complex<double>> a(fft_size);
  for (size_t i = 0; i < n; ++i) {
    const double hann = 0.5 - 0.5 * std::cos(2.0 * M_PI * double(i) / double(n - 1));
    a[i] = double(x[i]) * hann;
  }
  higgs::fft(a);
  double log_sum = 0, sum = 0;
  const size_t bins = fft_size / 2;
  for (size_t k = 1; k <= bins; ++k) {
    const double p = std::norm(a[k]) + 1e-12;
    log_sum += std::log(p);
    sum += p;
  }
  return std::exp(log_sum / double(bins)) / (sum / double(bins));
}

}  // namespace

AudioQuality measure_audio_quality(const std::vector<float>& samples, int sample_rate,
                                   const VoiceActivityOptions& o) {
  AudioQuality q;
  if (sample_rate <= 0 || samples.empty()) return q;
  q.duration_s = double(samples.size()) / sample_rate;
  double energy = 0, peak = 0;
  size_t clipped = 0;
  for (float s : samples) {
    const double a = std::fabs(double(s));
    energy += a * a;
    peak = std::max(peak, a);
    clipped += a >= 0.999;
  }
  q.rms_dbfs = to_db(std::sqrt(energy / double(samples.size())));
  q.peak_dbfs = to_db(peak);
  q.clipping_fraction = double(clipped) / double(samples.size());

  const size_t frame = std::max<size_t>(2, static_cast<size_t>(sample_rate) / 50);  // 20 ms
  size_t fft_size = 1;
  while (fft_size < frame) fft_size <<= 1;
  const size_t frames = samples.size() / frame;
  std::vector<double> db(frames);
  for (size_t f = 0; f < frames; ++f) {
    double e = 0;
    for (size_t i = f * frame; i < (f + 1) * frame; ++i) e += double(samples[i]) * samples[i];
    db[f] = to_db(std::sqrt(e / double(frame)));
  }
  double floor_db = kSilenceDb;
  if (frames > 0) {
    std::vector<double> sorted = db;
    std::nth_element(sorted.begin(), sorted.begin() + frames / 10, sorted.end());
    floor_db = sorted[frames / 10];
  }
  const double threshold = std::max(o.min_speech_dbfs, floor_db + o.above_floor_db);
  int64_t first = -1, last = -1, speech_frames = 0;
  for (size_t f = 0; f < frames; ++f) {
    if (db[f] < threshold) continue;
    if (spectral_flatness(&samples[f * frame], frame, fft_size) > o.max_flatness) continue;
    ++speech_frames;
    if (first < 0) first = static_cast<int64_t>(f);
    last = static_cast<int64_t>(f);
  }
  const double frame_s = double(frame) / sample_rate;
  q.speech_s = double(speech_frames) * frame_s;
  q.non_speech_s = std::max(0.0, q.duration_s - q.speech_s);
  q.speech_fraction = q.speech_s / q.duration_s;
  q.leading_silence_s = first < 0 ? q.duration_s : double(first) * frame_s;
  q.trailing_silence_s =
      first < 0 ? q.duration_s : std::max(0.0, q.duration_s - double(last + 1) * frame_s);
  return q;
}

Json audio_quality_json(const AudioQuality& q) {
  return Json{{"speech_s", q.speech_s},
              {"non_speech_s", q.non_speech_s},
              {"speech_fraction", q.speech_fraction},
              {"rms_dbfs", q.rms_dbfs},
              {"peak_dbfs", q.peak_dbfs},
              {"clipping_fraction", q.clipping_fraction},
              {"leading_silence_s", q.leading_silence_s},
              {"trailing_silence_s", q.trailing_silence_s}};
}

std::vector<std::string> audible_problems(const Json& report) {
  std::vector<std::string> out;
  char buf[160];
  if (!report.value("audio_written", false)) {
    out.push_back("no audio: the model never left text mode (stop " +
                  report.value("stop", std::string("none")) + ")");
    return out;
  }
  if (report.value("stop", std::string()) == "max_frames")
    out.push_back("never ends: decoding hit max_frames without an end of audio");
  const Json q = report.value("quality", Json::object());
  const double duration = report.value("duration_s", 0.0);
  const double speech = q.value("speech_fraction", 0.0);
  if (speech < 0.2) {
    std::snprintf(buf, sizeof buf, "mostly silence or noise (speech %.0f%% of %.1f s)",
                  100 * speech, duration);
    out.emplace_back(buf);
  }
  // A clip that stopped by itself well before the text could have been said.
  const double expected = report.value("expected_s", 0.0);
  if (report.value("stopped_by_itself", false) && expected > 0 && duration < 0.35 * expected) {
    std::snprintf(buf, sizeof buf, "cut short (%.1f s for a text of about %.1f s)", duration,
                  expected);
    out.emplace_back(buf);
  }
  const double clipping = q.value("clipping_fraction", 0.0);
  if (clipping > 0.001) {
    std::snprintf(buf, sizeof buf, "clipping (%.1f%% of samples)", 100 * clipping);
    out.emplace_back(buf);
  }
  return out;
}

}  // namespace higgs::generation
