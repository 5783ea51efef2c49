// Audio front-end throughput: load (libsndfile, downmix) + resample (soxr HQ) to 24 kHz and
// 16 kHz + Whisper log-mel (whisper_log_mel), in audio seconds per wall second.
// The Python peer is bench/python/audio_peer.py; bench/audio_bench.sh runs both on the same files.
//
//   audio_bench DIR [--repeat 3] [--threads 1] [--precision float64|float32]
//
// Prints one JSON line per stage and a final "total" line.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "components/audio/audio_io.h"
#include "components/audio/whisper_log_mel.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--repeat N] [--threads N]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int repeat = 3, threads = 1;
  higgs::WhisperLogMel::Options wopt;  // 128 mels, 16 kHz, 30 s windows
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--precision"))
      wopt.precision = argv[i + 1];
  }
  at::set_num_threads(threads);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (ext == ".wav" || ext == ".flac" || ext == ".mp3" || ext == ".ogg")
      files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "audio_bench: no audio files in %s\n", dir.c_str());
    return 1;
  }
  const higgs::WhisperLogMel whisper(wopt);
  double best_load = 1e30, best_resample = 1e30, best_mel = 1e30, best_total = 1e30;
  double audio_seconds = 0;
  for (int r = 0; r < repeat; ++r) {
    double t_load = 0, t_res = 0, t_mel = 0, secs = 0;
    const auto t_all = Clock::now();
    for (const auto& f : files) {
      auto t = Clock::now();
      const higgs::AudioBuffer a = higgs::load_audio(f);
      t_load += since(t);
      secs += a.duration_seconds();
      t = Clock::now();
      const std::vector<float> s24 = higgs::resample(a.samples, a.sample_rate, 24000);
      const std::vector<float> s16 = higgs::resample(a.samples, a.sample_rate, 16000);
      t_res += since(t);
      t = Clock::now();
      // Whisper sees 30 s chunks, as the collator splits longer audio.
      std::vector<at::Tensor> chunks;
      const int64_t chunk = whisper.chunk_samples();
      for (int64_t off = 0; off < int64_t(s16.size()); off += chunk) {
        const int64_t n = std::min<int64_t>(chunk, int64_t(s16.size()) - off);
        chunks.push_back(
            torch::from_blob(const_cast<float*>(s16.data()) + off, {n}, torch::kFloat));
      }
      auto feats = whisper.extract(chunks);
      t_mel += since(t);
      if (feats.first.size(0) != int64_t(chunks.size())) return 3;
    }
    const double total = since(t_all);
    audio_seconds = secs;
    best_load = std::min(best_load, t_load);
    best_resample = std::min(best_resample, t_res);
    best_mel = std::min(best_mel, t_mel);
    best_total = std::min(best_total, total);
  }
  auto line = [&](const char* stage, double t) {
    std::printf(
        "{\"impl\": \"higgs-train C++\", \"stage\": \"%s\", \"precision\": \"%s\", \"files\": %zu, "
        "\"audio_s\": %.2f, "
        "\"wall_s\": %.4f, \"audio_s_per_s\": %.1f, \"threads\": %d}\n",
        stage, wopt.precision.c_str(), files.size(), audio_seconds, t, audio_seconds / t, threads);
  };
  line("load", best_load);
  line("resample_24k_16k", best_resample);
  line("whisper_log_mel", best_mel);
  line("total", best_total);
  return 0;
}
