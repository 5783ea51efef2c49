// Callback `listen_samples`: every N optimizer steps, speak a fixed list of prompts with the model
// being trained and write samples/step-N/NAME.wav (+ .codes.safetensors, .json) into the run
// directory, logging each sample's duration, whether decoding stopped by itself and the real-time
// factor. Sampling has its own seeded generator, so training's RNG stream is untouched.
//
//   callbacks: [{ type: 'listen_samples', every: 50, max_frames: 400, temperature: 0.7,
//                 prompts: [{ name: 'hello', text: 'Hello there.', ref_audio: 'ref.wav',
//                             ref_text: 'Transcript of ref.wav.' }] }]
//
// See docs/generation.md.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "components/audio/audio_tokenizer.h"
#include "components/generation/decode_options.h"
#include "components/generation/jobs.h"
#include "components/generation/outputs.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/text/text_tokenizer.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "framework/train/callback.h"
#include "framework/train/trainer_state.h"
#include "framework/util/fs.h"

namespace higgs {
namespace {

namespace fs = std::filesystem;

class ListenSamples : public Callback {
 public:
  struct Options {
    int64_t every = 100;
    Json prompts = Json::array();
    generation::PromptOptions prompt;
    bool at_end = true;
    bool with_eval = false;
    generation::DecodeOptions decode;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("every", o.every, "Generate every N optimizer steps; 0 = only at the end.").min(0);
    b.opt("prompts", o.prompts,
          "List of {text, ref_audio, ref_text, name?, scene?, language?, speaker?} (paths "
          "relative to the working directory; language and speaker give per-group eval metrics).");
    generation::PromptOptions::bind(b, o.prompt);
    b.opt("at_end", o.at_end, "Also generate after the last step.");
    b.opt("with_eval", o.with_eval,
          "Also generate at every evaluation; the scorers' means and the quality measures join "
          "the eval metrics (eval/wer, eval/sim, eval/speech_fraction, ...) that metrics.jsonl "
          "records and best_metric and early_stopping can monitor.");
    generation::DecodeOptions::bind(b, o.decode);
  }

  ListenSamples(const Options& o, const CallbackArgs& args)
      : o_(o), main_(args.run.placement.is_main()), scorers_(args.scorers) {
    try {
      jobs_ = generation::jobs_from_json(o_.prompts, "callbacks listen_samples.prompts");
    } catch (const std::exception& e) {
      throw RecipeError(e.what());
    }
    if (jobs_.empty())
      throw RecipeError("listen_samples: prompts is empty; give at least one prompt");
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].ref_audio.empty() && !o_.prompt.ref_in_system)
        throw RecipeError("listen_samples.prompts[" + std::to_string(i) +
                          "]: needs ref_audio and ref_text (the voice to clone)");
      for (const auto& a : jobs_[i].ref_audio)
        if (!fs::exists(a))
          throw RecipeError("listen_samples.prompts[" + std::to_string(i) + "]: ref_audio " + a +
                            " does not exist");
      if (jobs_[i].name.empty()) jobs_[i].name = "sample-" + std::to_string(i);
    }
    model_ = args.model;
    if (!dynamic_cast<HiggsAudioModel*>(model_.get()))
      throw RecipeError("listen_samples needs the \"higgs_audio\" model");
    text_ = args.text_tokenizer;
    audio_ = args.audio_tokenizer;
    if (!text_) throw RecipeError("listen_samples needs \"text_tokenizer\" in the recipe");
    if (!audio_) throw RecipeError("listen_samples needs \"audio_tokenizer\" in the recipe");
    seed_ = args.run.seed;
  }

  void on_step_end(TrainState& s) override {
    if (o_.every > 0 && s.step % o_.every == 0) listen(s);
  }
  void on_train_end(TrainState& s) override {
    if (o_.at_end && s.step != last_step_) listen(s);
  }
  Json eval_metrics(TrainState& s) override {
    if (!o_.with_eval || !main_) return Json::object();
    if (s.step != last_step_) listen(s);  // once per step: on_step_end may have listened
    return generation::eval_metrics_of(last_summary_);
  }

 private:
  void listen(TrainState& s) {
    last_step_ = s.step;
    if (!main_) return;
    auto& net = dynamic_cast<HiggsAudioModel&>(*model_).net();
    generation::VoiceCloneGenerator gen(net, *text_, audio_.get(),
                                        o_.decode.to_generate_options(seed_));
    generation::JobDefaults d;
    d.prompt = o_.prompt;
    const fs::path dir = fs::path(s.output_dir) / "samples" / ("step-" + std::to_string(s.step));
    auto reports =
        generation::run_jobs(gen, jobs_, d,
                             [&](const generation::GenerationJob& j, size_t) {
                               return (dir / (j.name + ".wav")).string();
                             },
                             scorers_, {"listen", 0, "sample", 0, true, 0, /*keep=*/false});
    for (const auto& r : reports) {
      spdlog::info("listen_samples step {}: {}", s.step,
                   generation::describe_generation(r["wav"].get<std::string>(), r));
      // What a listener would hear is wrong, said where it is seen: silence or noise, a clip that
      // never ends or is cut short, clipping, no audio at all.
      std::string problems;
      for (const auto& p : r.value("problems", Json::array()))
        problems += (problems.empty() ? "" : "; ") + p.get<std::string>();
      if (!problems.empty())
        spdlog::warn("listen_samples step {}: {}: {}", s.step,
                     fs::path(r["wav"].get<std::string>()).filename().string(), problems);
    }
    Json summary = generation::summarize_reports(reports);
    summary["step"] = s.step;
    last_summary_ = summary;
    write_file_atomic((dir / "summary.json").string(), summary.dump(2) + "\n");
    spdlog::info("listen_samples step {}: {}, {:.2f} s of audio, RTF {:.2f}", s.step,
                 generation::describe_summary(summary), summary["audio_seconds"].get<double>(),
                 summary["rtf"].get<double>());
  }

  Options o_;
  bool main_;
  std::vector<generation::NamedScorer> scorers_;
  std::vector<generation::GenerationJob> jobs_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<TextTokenizer> text_;
  std::shared_ptr<AudioTokenizer> audio_;
  int64_t seed_ = 0;
  int64_t last_step_ = -1;
  Json last_summary_ = Json::object();
};

}  // namespace

HIGGS_REGISTER(Callback, ListenSamples, "listen_samples",
               "Every N steps, speak fixed prompts with the model in training: "
               "samples/step-N/*.wav, duration, stop-by-itself, real-time factor.");

}  // namespace higgs
