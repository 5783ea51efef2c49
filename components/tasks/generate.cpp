// Task `generate`: zero-shot voice cloning with the recipe's model (plus the trainable weights of
// a run's newest checkpoint and LoRA adapters), text tokenizer and audio tokenizer. Writes
// OUT.wav, OUT.codes.safetensors and OUT.json per job and says how each one stopped.
//
//   higgs-run generate RUN_DIR --ref-audio ref.wav --ref-text "..." --text "..." --out out.wav
//   task: { type: 'generate', checkpoint: 'runs/demo', ref_audio: ['ref.wav'], ref_text: ['...'],
//           text: ['Hello there.'], out: 'out.wav', temperature: 0.3 }
//
// See docs/generation.md.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "components/audio/audio_tokenizer.h"
#include "components/generation/decode_options.h"
#include "components/generation/jobs.h"
#include "components/generation/outputs.h"
#include "components/generation/run_weights.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/models/higgs_audio/model.h"
#include "components/tasks/recipe_parts.h"
#include "components/text/text_tokenizer.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/trainer.h"

namespace higgs {
namespace {

namespace fs = std::filesystem;
using generation::GenerationJob;

class GenerateTask : public Task {
 public:
  struct Options {
    generation::TrainedWeights weights;
    std::vector<std::string> ref_audio, ref_text;
    generation::PromptOptions prompt;
    std::vector<std::string> text;
    std::string text_file;
    std::string jobs;
    std::string out;
    generation::DecodeOptions decode;
    bool json = false;
    bool progress_bar = true;
  };
  static void bind(Binder& b, Options& o) {
    generation::TrainedWeights::bind(b, o.weights);
    b.opt("ref_audio", o.ref_audio, "Reference audio file(s) of the voice to clone.").cli_path();
    b.opt("ref_text", o.ref_text, "Transcript of each reference audio file.");
    generation::PromptOptions::bind(b, o.prompt);
    b.opt("text", o.text, "Target texts: one job each.");
    b.opt("text_file", o.text_file, "A text file: one job per non-empty line.");
    b.opt("jobs", o.jobs,
          "A JSONL file of jobs: {text, out?, name?, ref_audio?, ref_text?, scene?} per line.");
    b.opt("out", o.out, "Output .wav (one job) or directory (default: OUTPUT_DIR/generated).");
    generation::DecodeOptions::bind(b, o.decode);
    b.opt("json", o.json,
          "Print {samples: [each report], summary} as one JSON object on stdout instead of text.");
    b.opt("progress_bar", o.progress_bar,
          "Show progress over the jobs: a bar on a terminal, a line every 30 s otherwise.");
  }
  explicit GenerateTask(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override {
    return {"model", "text_tokenizer", "audio_tokenizer"};
  }

  int run(TaskContext& ctx) override {
    std::vector<GenerationJob> jobs = collect_jobs();
    o_.weights.check();  // before the model is built
    RecipeParts parts(ctx);
    // Scorers first: a missing scorer program is reported before the model is loaded.
    const auto scorers = parts.scorers();
    auto model = parts.model();
    auto* higgs = dynamic_cast<HiggsAudioModel*>(model.get());
    if (!higgs) throw RecipeError("task generate: the recipe's model must be \"higgs_audio\"");
    auto adapters = parts.adapters();
    o_.weights.load(*model, adapters);
    auto text_tok = parts.text_tokenizer();  // both required (required_keys)
    auto audio_tok = parts.audio_tokenizer();
    generation::VoiceCloneGenerator gen(higgs->net(), *text_tok, audio_tok.get(),
                                        o_.decode.to_generate_options(ctx.run.seed));
    generation::JobDefaults d;
    d.ref_audio = o_.ref_audio;
    d.ref_text = o_.ref_text;
    d.prompt = o_.prompt;

    const bool single_file = jobs.size() == 1 && fs::path(o_.out).extension() == ".wav";
    const std::string out_dir =
        o_.out.empty() ? (fs::path(ctx.plan.settings.output_dir) / "generated").string() : o_.out;
    auto out_path = [&](const GenerationJob& job, size_t i) {
      if (!job.out.empty()) return job.out;
      if (single_file) return o_.out;
      char name[32];
      std::snprintf(name, sizeof name, "%03zu.wav", i);
      return (fs::path(out_dir) / (job.name.empty() ? std::string(name) : job.name + ".wav"))
          .string();
    };
    auto reports = generation::run_jobs(gen, jobs, d, out_path, scorers,
                                        {"generate", 0, "sample", 0, o_.progress_bar});
    const Json summary = generation::summarize_reports(reports);
    if (o_.json) {
      std::printf("%s\n", Json({{"samples", reports}, {"summary", summary}}).dump().c_str());
    } else {
      for (const auto& r : reports) {
        std::printf("%s\n",
                    generation::describe_generation(r["wav"].get<std::string>(), r).c_str());
        for (const auto& p : r.value("problems", Json::array()))
          std::printf("  problem: %s\n", p.get<std::string>().c_str());
      }
      std::printf("%s\n", generation::describe_summary(summary).c_str());
    }
    std::fflush(stdout);
    // A job without audio is a failure the caller must see (no WAV was written for it).
    return summary["with_audio"].get<int64_t>() == summary["samples"].get<int64_t>() ? 0 : 1;
  }

 private:
  std::vector<GenerationJob> collect_jobs() const {
    std::vector<GenerationJob> jobs;
    for (size_t i = 0; i < o_.text.size(); ++i) {
      const std::string& t = o_.text[i];
      // An empty text still generates (a short clip of noise): refuse it before anything loads.
      if (t.find_first_not_of(" \t\r\n") == std::string::npos)
        throw RecipeError("task.text[" + std::to_string(i) +
                          "] (--text) is empty: give the text to speak");
      jobs.push_back(GenerationJob{"", t, {}, {}, std::nullopt, ""});
    }
    if (!o_.text_file.empty()) {
      std::ifstream in(o_.text_file);
      if (!in) throw RecipeError("task.text_file: cannot open " + o_.text_file);
      for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t\r") != std::string::npos)
          jobs.push_back(GenerationJob{"", line, {}, {}, std::nullopt, ""});
    }
    if (!o_.jobs.empty())
      for (auto& j : generation::read_jobs_jsonl(o_.jobs)) jobs.push_back(std::move(j));
    if (jobs.empty())
      throw RecipeError(
          "task generate: nothing to say; give text, text_file or jobs "
          "(--text, --text-file, --jobs)");
    return jobs;
  }
  Options o_;
};

}  // namespace

HIGGS_REGISTER(
    Task, GenerateTask, "generate",
    "Zero-shot voice cloning: speak target texts in a reference voice; writes WAV, codes "
    "and a report per job.");

}  // namespace higgs
