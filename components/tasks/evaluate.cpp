// Task `evaluate`: the loss and accuracy of a model (the recipe's, a run's newest or best
// checkpoint, or a LoRA adapter) on eval_data or train_data, computed exactly as the trainer's
// evaluation computes them. Prints one line per metric (or, with --json, one JSON object) and
// writes them to `out` as JSON.
//
//   higgs-run evaluate RUN_DIR [--checkpoint DIR] [--data train_data] [--out eval.json]
//   higgs-run evaluate RUN_DIR --generate prompts.jsonl    (also speak and score held-out prompts)
//   task: { type: 'evaluate', checkpoint: 'runs/demo', data: 'eval_data', batch_size: 8 }
//
// With several processes (torchrun) the ranks share the samples, as in training.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include <spdlog/spdlog.h>

#include "components/audio/audio_tokenizer.h"
#include "components/generation/decode_options.h"
#include "components/generation/jobs.h"
#include "components/generation/run_weights.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/tasks/recipe_parts.h"
#include "components/text/text_tokenizer.h"
#include "framework/config/diagnostics.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/data_parallel.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "framework/train/evaluation.h"
#include "framework/train/trainer.h"
#include "framework/util/fs.h"

namespace higgs {
namespace {

namespace fs = std::filesystem;

class EvaluateTask : public Task {
 public:
  struct Options {
    generation::TrainedWeights weights;
    std::string data = "eval_data";
    int64_t batch_size = 0;
    std::optional<int64_t> max_batches;
    std::string precision = "fp32";
    int64_t num_workers = 2;
    std::string out;
    bool json = false;
    bool progress_bar = true;
    std::string generate;
    std::string samples_dir;
    generation::PromptOptions prompt;
    generation::DecodeOptions decode;
  };
  static void bind(Binder& b, Options& o) {
    generation::TrainedWeights::bind(b, o.weights);
    b.choice("data", o.data, {"eval_data", "train_data"}, "The recipe's dataset to evaluate on.");
    b.opt("batch_size", o.batch_size,
          "Samples per batch; 0 uses the trainer's evaluation batch size (trainer.eval_batch_size, "
          "else trainer.batch_size).")
        .min(0);
    b.opt(
         "max_batches", o.max_batches,
         "Batches to evaluate; 0 means all; null uses trainer.eval_batches (as the run evaluated).")
        .min(0);
    b.choice("precision", o.precision, {"fp32", "bf16"}, "fp32, or bf16 autocast.");
    b.opt("num_workers", o.num_workers, "Background threads loading samples; 0 loads inline.")
        .min(0);
    b.opt("out", o.out, "Write the metrics (and counts) to this JSON file; \"\" prints only.");
    b.opt("json", o.json,
          "Print the report as one JSON object on stdout (the shape of `out`) instead of text.");
    b.opt("progress_bar", o.progress_bar,
          "Show progress over the batches: a bar on a terminal, a line every 30 s otherwise.");
    b.opt("generate", o.generate,
          "A JSONL file of held-out prompts ({text, ref_audio, ref_text, name?, language?, "
          "speaker?} per line): each is also spoken and scored by the recipe's scorers, and the "
          "means join the metrics (eval/wer, eval/sim, eval/speech_fraction, ...) as "
          "listen_samples' with_eval gives them.")
        .cli_path();
    b.opt("samples_dir", o.samples_dir,
          "Where the generated prompts go (WAV, codes, report); empty: OUTPUT_DIR/eval-samples.");
    generation::PromptOptions::bind(b, o.prompt);
    generation::DecodeOptions::bind(b, o.decode);
  }
  explicit EvaluateTask(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override {
    std::vector<std::string> keys{"model", "collator", o_.data};
    if (!o_.generate.empty()) keys.insert(keys.end(), {"text_tokenizer", "audio_tokenizer"});
    return keys;
  }

  int run(TaskContext& ctx) override {
    auto comm = ctx.communicator;
    o_.weights.check();  // before the model is built
    RecipeParts parts(ctx);
    // The prompts and scorers first: a bad jobs file or a missing scorer program is reported
    // before the model is loaded.
    std::vector<generation::GenerationJob> jobs;
    std::vector<generation::NamedScorer> scorers;
    if (!o_.generate.empty()) {
      try {
        jobs = generation::read_jobs_jsonl(o_.generate);
      } catch (const std::exception& e) {
        throw RecipeError(std::string("task.generate: ") + e.what());
      }
      scorers = parts.scorers();
    }
    auto model = parts.model();
    auto adapters = parts.adapters();
    const std::string loaded = o_.weights.load(*model, adapters);

    // As the run evaluated: the recipe's trainer says how (the default trainer when it has none).
    const BatchSizes trained = parts.trainer()->batch_sizes();
    EvaluationOptions eo;
    eo.loader.batch_size = o_.batch_size > 0 ? o_.batch_size : trained.eval;
    eo.loader.num_workers = o_.num_workers;
    eo.loader.seed = ctx.run.seed;
    eo.loader.rank = ctx.run.placement.rank;
    eo.loader.world_size = ctx.run.placement.world_size;
    eo.loader.name = o_.data;
    eo.max_batches = o_.max_batches ? *o_.max_batches : trained.eval_batches;
    eo.bf16 = o_.precision == "bf16";
    eo.progress.show = ctx.run.placement.is_main() && o_.progress_bar;
    auto data = parts.dataset(o_.data);
    auto collator = parts.collator();
    EvaluationResult r = evaluate_model(*model, data, collator, eo, *comm);
    // Counts over every rank: a rank left without samples (fewer samples than ranks) is fine.
    const auto totals = all_reduce_values(
        *comm, {double(r.batches), double(r.samples), double(r.skipped)}, ReduceOp::Sum);
    const auto batches = static_cast<int64_t>(totals[0]), samples = static_cast<int64_t>(totals[1]),
               skipped = static_cast<int64_t>(totals[2]);
    if (batches == 0)
      throw RecipeError(o_.data + ": no sample could be evaluated (" +
                        std::to_string(data->size()) + " samples, " + std::to_string(skipped) +
                        " skipped)");
    if (!ctx.run.placement.is_main()) return 0;

    Json rep = r.metrics;
    if (!jobs.empty()) {
      const Json m = generate_and_score(ctx, parts, *model, jobs, scorers);
      for (auto it = m.begin(); it != m.end(); ++it) {
        rep[it.key()] = it.value();
        r.metrics[it.key()] = it.value();
      }
    }
    rep["weights"] = loaded;
    rep["data"] = o_.data;
    rep["batch_size"] = eo.loader.batch_size;
    rep["batches"] = batches;  // over every rank
    rep["samples"] = samples;
    rep["skipped"] = skipped;
    rep["world_size"] = comm->world_size();
    if (!o_.out.empty()) write_file_atomic(o_.out, rep.dump(2) + "\n");
    if (o_.json) {
      std::printf("%s\n", rep.dump().c_str());
    } else {
      std::printf(
          "evaluated %s on %s: %lld samples in %lld batches (%lld skipped) on %d process(es)\n",
          loaded.c_str(), o_.data.c_str(), (long long)samples, (long long)batches,
          (long long)skipped, comm->world_size());
      for (auto it = r.metrics.begin(); it != r.metrics.end(); ++it)
        std::printf("  %-28s %.6f\n", it.key().c_str(), it.value().get<double>());
      if (!o_.out.empty()) std::printf("metrics written to %s\n", o_.out.c_str());
    }
    std::fflush(stdout);
    return 0;
  }

 private:
  // Speaks the held-out prompts with the evaluated weights, scores them and returns their eval
  // metrics (generation::eval_metrics_of), the samples written under samples_dir.
  Json generate_and_score(TaskContext& ctx, RecipeParts& parts, Model& model,
                          const std::vector<generation::GenerationJob>& jobs,
                          const std::vector<generation::NamedScorer>& scorers) {
    auto* higgs = dynamic_cast<HiggsAudioModel*>(&model);
    if (!higgs) throw RecipeError("task evaluate: generate needs the \"higgs_audio\" model");
    auto text_tok = parts.text_tokenizer();
    auto audio_tok = parts.audio_tokenizer();
    generation::VoiceCloneGenerator gen(higgs->net(), *text_tok, audio_tok.get(),
                                        o_.decode.to_generate_options(ctx.run.seed));
    generation::JobDefaults d;
    d.prompt = o_.prompt;
    const fs::path dir = o_.samples_dir.empty()
                             ? fs::path(ctx.plan.settings.output_dir) / "eval-samples"
                             : fs::path(o_.samples_dir);
    auto reports = generation::run_jobs(
        gen, jobs, d,
        [&](const generation::GenerationJob& j, size_t i) {
          return (dir / ((j.name.empty() ? "sample-" + std::to_string(i) : j.name) + ".wav"))
              .string();
        },
        scorers, {"evaluate: generate", 0, "sample", 0, o_.progress_bar});
    const Json summary = generation::summarize_reports(reports);
    write_file_atomic((dir / "summary.json").string(), summary.dump(2) + "\n");
    spdlog::info("evaluate: {} (samples in {})", generation::describe_summary(summary),
                 dir.string());
    return generation::eval_metrics_of(summary);
  }

  Options o_;
};

}  // namespace

HIGGS_REGISTER(Task, EvaluateTask, "evaluate",
               "Loss and accuracy of a model, checkpoint or adapter on eval_data or train_data, "
               "as the trainer's evaluation computes them.");

}  // namespace higgs
