#include <torch/torch.h>

#include "components/generation/jobs.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <stdexcept>

#include "components/chatml/chatml.h"
#include "components/generation/outputs.h"

namespace higgs::generation {

namespace {
std::vector<std::string> string_or_list(const Json& j, const std::string& where, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return {};
  if (j[key].is_string()) return {j[key].get<std::string>()};
  if (j[key].is_array()) {
    std::vector<std::string> out;
    for (const auto& v : j[key]) {
      if (!v.is_string()) throw std::runtime_error(where + ": \"" + key + "\" must hold strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  throw std::runtime_error(where + ": \"" + key + "\" must be a string or a list of strings");
}

GenerationJob job_from_json(const Json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": a job must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "text" && it.key() != "out" && it.key() != "name" && it.key() != "ref_audio" &&
        it.key() != "ref_text" && it.key() != "scene" && it.key() != "language" &&
        it.key() != "speaker")
      throw std::runtime_error(where + ": unknown key \"" + it.key() +
                               "\" (a job has text, out, name, ref_audio, ref_text, scene, "
                               "language, speaker)");
  if (!j.contains("text") || !j["text"].is_string() || j["text"].get<std::string>().empty())
    throw std::runtime_error(where + ": a job needs a non-empty \"text\"");
  GenerationJob g;
  g.text = j["text"].get<std::string>();
  g.out = j.value("out", std::string());
  g.name = j.value("name", std::string());
  g.ref_audio = string_or_list(j, where, "ref_audio");
  g.ref_text = string_or_list(j, where, "ref_text");
  if (j.contains("scene") && j["scene"].is_string()) g.scene = j["scene"].get<std::string>();
  for (const char* label : {"language", "speaker"})
    if (j.contains(label) && !j[label].is_string())
      throw std::runtime_error(where + ": \"" + label + "\" must be a string, not " +
                               j[label].dump());
  g.language = j.value("language", std::string());
  g.speaker = j.value("speaker", std::string());
  return g;
}
}  // namespace

std::vector<GenerationJob> read_jobs_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open the jobs file");
  std::vector<GenerationJob> jobs;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    Json j;
    try {
      j = Json::parse(line);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": not JSON (" + e.what() + ")");
    }
    jobs.push_back(job_from_json(j, where));
  }
  if (jobs.empty()) throw std::runtime_error(path + ": no jobs (one JSON object per line)");
  return jobs;
}

std::vector<GenerationJob> jobs_from_json(const Json& list, const std::string& where) {
  if (!list.is_array()) throw std::runtime_error(where + ": expected a list of jobs");
  std::vector<GenerationJob> jobs;
  for (size_t i = 0; i < list.size(); ++i)
    jobs.push_back(job_from_json(list[i], where + "[" + std::to_string(i) + "]"));
  return jobs;
}

void PromptOptions::bind(Binder& b, PromptOptions& o) {
  b.opt("scene", o.scene, "Scene description of the system message (\"\" = none).");
  b.opt("system_prompt", o.system_prompt,
        "System message text replacing the one built from scene.");
  b.opt("ref_in_system", o.ref_in_system,
        "Put the references into the system message as audio-in (\"SPEAKER0: <AUDIO>\") "
        "instead of reference user/assistant turns.");
  b.opt("normalize_text", o.normalize_text,
        "Normalise texts as examples/generation.py does (punctuation, sound-event tags, final "
        "'.').")
      .flag("no-normalize");
}

std::vector<Json> run_jobs(VoiceCloneGenerator& gen, const std::vector<GenerationJob>& jobs,
                           const JobDefaults& d,
                           const std::function<std::string(const GenerationJob&, size_t)>& out_path,
                           const std::vector<NamedScorer>& scorers, ProgressBar::Options progress) {
  const PromptOptions& p = d.prompt;
  progress.total = static_cast<int64_t>(jobs.size());
  ProgressBar bar(progress);
  std::map<std::string, torch::Tensor> ref_codes;
  std::vector<Json> reports;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const GenerationJob& job = jobs[i];
    const auto& audio = job.ref_audio.empty() ? d.ref_audio : job.ref_audio;
    const auto& texts = job.ref_audio.empty() ? d.ref_text : job.ref_text;
    if (!p.ref_in_system && texts.size() != audio.size())
      throw std::runtime_error("job " + std::to_string(i) + ": " + std::to_string(audio.size()) +
                               " reference audio file(s) but " + std::to_string(texts.size()) +
                               " reference transcript(s); give one --ref-text per --ref-audio");
    PromptSpec spec;
    spec.scene = job.scene.value_or(p.scene);
    spec.system_prompt = p.system_prompt;
    spec.reference_in_system = p.ref_in_system;
    for (size_t r = 0; r < audio.size(); ++r) {
      auto it = ref_codes.find(audio[r]);
      if (it == ref_codes.end())
        it = ref_codes.emplace(audio[r], gen.encode_reference(audio[r])).first;
      std::string t = r < texts.size() ? texts[r] : "";
      spec.references.push_back({p.normalize_text ? normalize_transcript(t) : t, it->second});
    }
    spec.text = p.normalize_text ? normalize_transcript(job.text) : job.text;
    JobResult res = gen.generate(spec);
    const std::string wav = out_path(job, i);
    Json rep = write_generation(wav, spec.text, res, audio, texts, scorers);
    rep["wav"] = wav;
    if (!job.language.empty()) rep["language"] = job.language;
    if (!job.speaker.empty()) rep["speaker"] = job.speaker;
    reports.push_back(rep);
    bar.update(static_cast<int64_t>(i + 1));
  }
  bar.finish();
  return reports;
}

namespace {

// summarize_reports without the per-group part.
Json summarize_flat(const std::vector<Json>& reports) {
  int64_t stopped = 0, with_audio = 0, limit = 0, with_problems = 0;
  double audio_s = 0, wall_s = 0;
  // Means of the quality measures over the samples with audio.
  std::map<std::string, double> quality;
  for (const auto& r : reports) {
    with_problems += !r.value("problems", Json::array()).empty();
    if (auto q = r.find("quality"); q != r.end())
      for (auto it = q->begin(); it != q->end(); ++it)
        quality[it.key()] += it.value().get<double>();
    const bool has_audio = r.value("audio_written", false);
    with_audio += has_audio;
    stopped += r.value("stopped_by_itself", false);
    limit += has_audio && !r.value("stopped_by_itself", false);
    audio_s += r.value("duration_s", 0.0);
    wall_s += r.value("decode_seconds", 0.0) + r.value("vocoder_seconds", 0.0);
  }
  const auto n = static_cast<int64_t>(reports.size());
  Json quality_means = Json::object();
  for (const auto& [k, total] : quality) quality_means[k] = total / double(with_audio);
  return Json{{"samples", n},
              {"with_audio", with_audio},
              {"with_problems", with_problems},
              {"quality", quality_means},
              {"stopped", stopped},
              {"hit_limit", limit},
              {"stop_rate", n ? double(stopped) / double(n) : 0.0},
              {"audio_seconds", audio_s},
              {"rtf", audio_s > 0 ? wall_s / audio_s : 0.0},
              {"scores", mean_scores(reports)}};
}

}  // namespace

Json summarize_reports(const std::vector<Json>& reports) {
  Json summary = summarize_flat(reports);
  // Per language and per speaker, when the jobs carry those labels.
  for (const char* field : {"language", "speaker"}) {
    std::map<std::string, std::vector<Json>> groups;
    for (const auto& r : reports)
      if (r.contains(field)) groups[r[field].get<std::string>()].push_back(r);
    for (const auto& [value, members] : groups)
      summary["groups"][field][value] = summarize_flat(members);
  }
  return summary;
}

namespace {

void add_eval_metrics(const Json& summary, const std::string& prefix, Json& m) {
  const double n = std::max<double>(1, summary.value("samples", int64_t{0}));
  m[prefix + "with_audio_fraction"] = double(summary.value("with_audio", int64_t{0})) / n;
  m[prefix + "stop_rate"] = summary.value("stop_rate", 0.0);
  m[prefix + "problem_fraction"] = double(summary.value("with_problems", int64_t{0})) / n;
  const Json quality = summary.value("quality", Json::object());
  for (auto it = quality.begin(); it != quality.end(); ++it)
    m[prefix + it.key()] = it.value().get<double>();
  const Json scores = summary.value("scores", Json::object());
  for (auto it = scores.begin(); it != scores.end(); ++it)
    m[prefix + it.key()] = it.value()["mean"].get<double>();
}

}  // namespace

Json eval_metrics_of(const Json& summary) {
  Json m = Json::object();
  add_eval_metrics(summary, "eval/", m);
  const Json groups = summary.value("groups", Json::object());
  for (auto field = groups.begin(); field != groups.end(); ++field)
    for (auto value = field->begin(); value != field->end(); ++value)
      add_eval_metrics(*value, "eval/" + field.key() + "/" + value.key() + "/", m);
  return m;
}

std::string describe_summary(const Json& s) {
  const auto n = s["samples"].get<int64_t>();
  std::string out = std::to_string(n) +
                    " sample(s): " + std::to_string(s["stopped"].get<int64_t>()) +
                    " stopped by themselves (audio_eos), " +
                    std::to_string(s["hit_limit"].get<int64_t>()) + " hit the length limit, " +
                    std::to_string(n - s["with_audio"].get<int64_t>()) + " without audio";
  const Json& scores = s["scores"];
  std::string sep = "; ";
  for (auto it = scores.begin(); it != scores.end(); ++it) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s %.4g (%lld)", it.key().c_str(),
                  it.value()["mean"].get<double>(),
                  static_cast<long long>(it.value()["n"].get<int64_t>()));
    out += sep + buf;
    sep = ", ";
  }
  return out;
}

}  // namespace higgs::generation
