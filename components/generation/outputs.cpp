#include <torch/torch.h>

#include "components/generation/outputs.h"

#include <cstdio>
#include <filesystem>

#include "components/audio/audio_io.h"
#include "components/generation/checks.h"
#include "framework/train/checkpoint.h"
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
                      const Json& extra) {
  if (fs::path(wav_path).has_parent_path())
    fs::create_directories(fs::path(wav_path).parent_path());
  std::vector<float> samples;
  if (r.waveform.defined() && r.waveform.numel() > 0) {
    auto w = r.waveform.contiguous();
    samples.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  const int sr = static_cast<int>(r.sample_rate > 0 ? r.sample_rate : 24000);
  save_wav(wav_path, samples, sr);
  TensorMap codes{{"codes", r.codes.contiguous()}};
  if (!r.chunks.empty()) codes["delayed"] = r.chunks.back().delayed.contiguous();
  save_tensor_map(stem_path(wav_path) + ".codes.safetensors", codes);

  Json chunks = Json::array();
  for (const auto& c : r.chunks)
    chunks.push_back({{"text", c.text},
                      {"stop", stop_reason_name(c.stop)},
                      {"frames", c.codes.size(1)},
                      {"prompt_positions", c.prompt_tokens},
                      {"text_tokens", c.text_tokens},
                      {"seconds", c.seconds}});
  Json rep = basic_checks(text, samples, sr);
  const double dur = rep["duration_s"].get<double>();
  rep["text"] = text;
  rep["wav"] = fs::path(wav_path).filename().string();
  rep["sample_rate"] = sr;
  rep["stopped_by_itself"] = r.stopped_by_itself();
  rep["stop"] = r.chunks.empty() ? "none" : stop_reason_name(r.chunks.back().stop);
  rep["frames"] = r.codes.size(1);
  rep["decode_seconds"] = r.decode_seconds;
  rep["vocoder_seconds"] = r.vocoder_seconds;
  rep["rtf"] = dur > 0 ? (r.decode_seconds + r.vocoder_seconds) / dur : 0.0;
  rep["chunks"] = chunks;
  for (auto it = extra.begin(); it != extra.end(); ++it) rep[it.key()] = it.value();
  write_file_atomic(stem_path(wav_path) + ".json", rep.dump(2) + "\n");
  return rep;
}

std::string describe_generation(const std::string& wav_path, const Json& rep) {
  char buf[512];
  const bool self = rep.value("stopped_by_itself", false);
  std::snprintf(buf, sizeof buf, "%s: %.2f s (%lld frames), %s (%s), RTF %.2f, silence %.0f%%",
                wav_path.c_str(), rep.value("duration_s", 0.0),
                static_cast<long long>(rep.value("frames", int64_t{0})),
                self ? "stopped by itself" : "did NOT stop by itself",
                rep.value("stop", std::string("?")).c_str(), rep.value("rtf", 0.0),
                100 * rep.value("silence_ratio", 0.0));
  return buf;
}

}  // namespace higgs::generation
