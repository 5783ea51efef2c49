#include <torch/torch.h>

#include "components/generation/outputs.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "components/audio/audio_io.h"
#include "components/generation/audio_quality.h"
#include "components/generation/checks.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/util/fs.h"

namespace higgs::generation {

namespace fs = std::filesystem;

namespace {
std::string stem_path(const std::string& wav_path) {
  fs::path p(wav_path);
  return (p.parent_path() / p.stem()).string();
}
}  // namespace

Json write_generation(const std::string& wav_path, const std::string& text, const JobResult& r,
                      const std::vector<std::string>& ref_audio,
                      const std::vector<std::string>& ref_text,
                      const std::vector<NamedScorer>& scorers) {
  if (fs::path(wav_path).has_parent_path())
    fs::create_directories(fs::path(wav_path).parent_path());
  std::vector<float> samples;
  if (r.waveform.defined() && r.waveform.numel() > 0) {
    auto w = r.waveform.contiguous();
    samples.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  const int sr = static_cast<int>(r.sample_rate > 0 ? r.sample_rate : 24000);
  const bool has_audio = !samples.empty();
  if (has_audio) {
    save_wav(wav_path, samples, sr);
    TensorMap codes{{"codes", r.codes.contiguous()}};
    if (!r.chunks.empty()) codes["delayed"] = r.chunks.back().delayed.contiguous();
    tensor_io::save_safetensors(stem_path(wav_path) + ".codes.safetensors", codes);
  }

  Json chunks = Json::array();
  for (const auto& c : r.chunks) {
    chunks.push_back({{"text", c.text},
                      {"stop", stop_reason_name(c.stop)},
                      {"frames", c.codes.size(1)},
                      {"prompt_positions", c.prompt_tokens},
                      {"text_tokens", c.text_tokens},
                      {"seconds", c.seconds}});
    if (c.segment_columns.size() > 1) chunks.back()["audio_segments"] = c.segment_columns.size();
    if (!c.continuation.empty()) chunks.back()["continuation"] = c.continuation;
  }
  Json rep = basic_checks(text, samples, sr);
  const double dur = rep["duration_s"].get<double>();
  rep["text"] = text;
  rep["wav"] = fs::path(wav_path).filename().string();
  rep["audio_written"] = has_audio;
  rep["sample_rate"] = sr;
  rep["stopped_by_itself"] = r.stopped_by_itself();
  rep["stop"] = r.chunks.empty() ? "none" : stop_reason_name(r.chunks.back().stop);
  rep["frames"] = r.codes.defined() && r.codes.dim() == 2 ? r.codes.size(1) : 0;
  rep["decode_seconds"] = r.decode_seconds;
  rep["vocoder_seconds"] = r.vocoder_seconds;
  rep["rtf"] = dur > 0 ? (r.decode_seconds + r.vocoder_seconds) / dur : 0.0;
  rep["chunks"] = chunks;
  rep["ref_audio"] = ref_audio;
  rep["ref_text"] = ref_text;
  if (has_audio) {
    // Measured on what the WAV holds: 16-bit PCM saturates at full scale.
    std::vector<float> written(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) written[i] = std::clamp(samples[i], -1.0f, 1.0f);
    rep["quality"] = audio_quality_json(measure_audio_quality(written, sr));
  }
  rep["problems"] = audible_problems(rep);
  if (has_audio && !scorers.empty()) {
    ScoredSample s;
    s.wav = wav_path;
    s.text = text;
    s.ref_audio = ref_audio;
    s.ref_text = ref_text;
    s.samples = std::move(samples);
    s.sample_rate = sr;
    rep["scores"] = run_scorers(scorers, s);
  }
  write_file_atomic(stem_path(wav_path) + ".json", rep.dump(2) + "\n");
  return rep;
}

std::string describe_generation(const std::string& wav_path, const Json& rep) {
  char buf[1024];
  if (!rep.value("audio_written", true)) {
    const std::string stop = rep.value("stop", std::string("none"));
    std::snprintf(
        buf, sizeof buf, "%s: NO AUDIO, nothing written (%s): %s", wav_path.c_str(), stop.c_str(),
        stop == "text_end"
            ? "the text head ended the turn before opening audio with <|audio_out_bos|>"
        : stop == "max_text_tokens" ? "no <|audio_out_bos|> within max_text_tokens text tokens"
                                    : "the decoder produced no audio frames");
    return buf;
  }
  const bool self = rep.value("stopped_by_itself", false);
  std::snprintf(buf, sizeof buf, "%s: %.2f s (%lld frames), %s (%s), RTF %.2f, silence %.0f%%",
                wav_path.c_str(), rep.value("duration_s", 0.0),
                static_cast<long long>(rep.value("frames", int64_t{0})),
                self ? "stopped by itself" : "did NOT stop by itself",
                rep.value("stop", std::string("?")).c_str(), rep.value("rtf", 0.0),
                100 * rep.value("silence_ratio", 0.0));
  std::string line = buf;
  if (auto q = rep.find("quality"); q != rep.end()) {
    std::snprintf(buf, sizeof buf, ", speech %.0f%%, %.1f dBFS",
                  100 * q->value("speech_fraction", 0.0), q->value("rms_dbfs", -120.0));
    line += buf;
  }
  if (auto sc = rep.find("scores"); sc != rep.end() && sc->is_object())
    for (auto it = sc->begin(); it != sc->end(); ++it) {
      if (it.key() == "errors") {
        for (auto e = it->begin(); e != it->end(); ++e)
          line += ", " + e.key() + " FAILED: " + e.value().get<std::string>();
      } else if (it->is_number()) {
        std::snprintf(buf, sizeof buf, ", %s %.4g", it.key().c_str(), it->get<double>());
        line += buf;
      }
    }
  return line;
}

}  // namespace higgs::generation
