// The reference voices and target texts of generation jobs, as recipes and the CLI give them,
// and the loop that runs them (shared by the `generate` task and the `listen_samples` callback).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "components/generation/checks.h"
#include "components/generation/generator.h"
#include "framework/config/config.h"
#include "framework/config/options.h"
#include "framework/util/progress_bar.h"

namespace higgs::generation {

struct GenerationJob {
  std::string name;  // output file stem
  std::string text;
  std::vector<std::string> ref_audio;  // paths
  std::vector<std::string> ref_text;   // one transcript per reference audio
  std::optional<std::string> scene;    // unset: the defaults' scene
  std::string out;                     // explicit output path, or ""
  // Optional labels: summaries and eval metrics are also given per language and per speaker.
  std::string language, speaker;
};

/// How the prompt is laid out: the options the `generate` task and the `listen_samples` callback
/// share (one binder, so both document and check them alike).
struct PromptOptions {
  std::string scene = "Audio is recorded from a quiet room.";
  std::optional<std::string> system_prompt;
  bool ref_in_system = false;
  bool normalize_text = true;
  static void bind(Binder& b, PromptOptions& o);
};

/// Defaults every job inherits, plus how the prompt is laid out.
struct JobDefaults {
  std::vector<std::string> ref_audio, ref_text;
  PromptOptions prompt;
};

/// Reads a JSONL file of jobs: {"text", "out"?, "name"?, "ref_audio"? (string or list),
/// "ref_text"? (string or list), "scene"?, "language"?, "speaker"?}. Errors name FILE:LINE.
std::vector<GenerationJob> read_jobs_jsonl(const std::string& path);
/// Jobs from a JSON array of the same objects (recipes); `where` names it in errors.
std::vector<GenerationJob> jobs_from_json(const Json& list, const std::string& where);

/// Runs jobs with one generator: encodes each reference once, builds the prompt, generates and
/// writes OUT.wav/.codes.safetensors/.json, then runs the scorers on each sample with audio
/// (metrics under "scores" in its report). `out_path(job, index)` gives the WAV path.
/// Returns the reports (one per job, with "wav" the full path). `progress`: the bar over the jobs
/// (its total is set here).
std::vector<Json> run_jobs(VoiceCloneGenerator& gen, const std::vector<GenerationJob>& jobs,
                           const JobDefaults& defaults,
                           const std::function<std::string(const GenerationJob&, size_t)>& out_path,
                           const std::vector<NamedScorer>& scorers = {},
                           ProgressBar::Options progress = {"generate", 0, "sample"});

/// Totals of a list of reports for one summary line and summary.json: samples, with_audio,
/// stopped (by themselves), audio_seconds, rtf, and the mean of each scorer metric ("scores").
Json summarize_reports(const std::vector<Json>& reports);
/// The eval metrics of a summary (listen_samples with_eval): eval/<scorer metric> means,
/// eval/<quality measure> means over the samples with audio, eval/with_audio_fraction,
/// eval/stop_rate, eval/problem_fraction; and per group of labelled samples the same under
/// eval/language/<value>/... and eval/speaker/<value>/....
Json eval_metrics_of(const Json& summary);

/// "3 sample(s): 2 stopped by themselves (audio_eos), 1 hit the length limit, 0 without audio;
/// wer 0.21 (3)".
std::string describe_summary(const Json& summary);

}  // namespace higgs::generation
