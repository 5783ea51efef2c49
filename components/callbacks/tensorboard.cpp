// Callback `tensorboard`: the run's metrics as TensorBoard event files in the run directory,
// written by higgs-train itself (framework/util/tfevents_writer.h, no TensorFlow): a scalar for
// every train and eval metric (learning rate, losses, per-codebook accuracy, memory, the
// listen_samples scores and quality measures), the listening samples as audio with their text and
// problems, and at each evaluation histograms of the LoRA weight norms. metrics.jsonl stays the
// record; this is for looking at curves.
//
//   callbacks: [{ type: 'tensorboard' }]         then: tensorboard --logdir RUN_DIR/tensorboard
//
// See docs/metrics.md.
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/run_report.h"
#include "framework/train/callback.h"
#include "framework/util/fs.h"
#include "framework/util/tfevents_writer.h"

namespace higgs {
namespace {

namespace fs = std::filesystem;

class TensorBoard : public Callback {
 public:
  struct Options {
    std::string dir = "tensorboard";
    bool audio = true;
    bool histograms = true;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("dir", o.dir,
          "Directory of the event files; a relative path is inside the run directory.");
    b.opt("audio", o.audio,
          "Write the listen_samples clips as audio summaries (with their text and problems).");
    b.opt("histograms", o.histograms,
          "At each evaluation, histograms of the norms of the LoRA A and B matrices.");
  }
  TensorBoard(const Options& o, const CallbackArgs& args)
      : o_(o), main_(args.run.placement.is_main()), model_(args.model) {}

  void on_train_begin(TrainState& s) override {
    if (!main_) return;
    const fs::path dir =
        fs::path(o_.dir).is_absolute() ? fs::path(o_.dir) : fs::path(s.output_dir) / o_.dir;
    writer_ = std::make_unique<TfEventsWriter>(dir.string());
    // A resumed run redoes the steps after its checkpoint: TensorBoard drops the old ones (those
    // at or after the START step; the checkpoint's own step stays).
    if (s.step > 0) writer_->session_start(s.step + 1);
    // Samples already in the run directory were logged by the run that wrote them (those after a
    // resumed checkpoint are written again, and logged when they are).
    started_ = fs::file_time_type::clock::now();
    logged_samples_.clear();
    spdlog::info("tensorboard: writing {}", writer_->path());
  }

  void on_step_end(TrainState& s) override {
    guarded([&] { step_end(s); });
  }
  void on_eval_end(TrainState& s) override {
    guarded([&] { eval_end(s); });
  }
  void on_train_end(TrainState& s) override {
    guarded([&] {
      write_new_samples(s);
      writer_->flush();
    });
  }

 private:
  // TensorBoard files are for looking at curves: a write that fails (a full disk) or a sample
  // report that cannot be read stops them with one warning, never the training (metrics.jsonl
  // stays the record).
  void guarded(const std::function<void()>& f) {
    if (!writer_) return;
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::warn("tensorboard: {}; no more TensorBoard events are written for this run",
                   e.what());
      writer_.reset();
    }
  }

  void step_end(TrainState& s) {
    // The trainer sets s.metrics to a train record (with "step") on its log steps.
    if (s.metrics.contains("step") && s.metrics["step"].get<int64_t>() == s.step &&
        s.step != last_train_step_) {
      last_train_step_ = s.step;
      write_scalars(s.metrics, s.step);
    }
    write_new_samples(s);
  }

  void eval_end(TrainState& s) {
    if (s.step != last_eval_step_) {
      last_eval_step_ = s.step;
      write_scalars(s.metrics, s.step);
      if (o_.histograms) write_lora_histograms(s.step);
    }
    write_new_samples(s);
    writer_->flush();
  }

  void write_scalars(const Json& metrics, int64_t step) {
    for (auto it = metrics.begin(); it != metrics.end(); ++it) {
      if (it.key() == "step" || it.key() == "epoch" || !it.value().is_number()) continue;
      writer_->scalar(it.key(), it.value().get<double>(), step);
    }
  }

  void write_lora_histograms(int64_t step) {
    std::map<std::string, std::vector<double>> norms;  // "lora/A_norm" -> one per layer
    for (const auto& p : model_->module().named_parameters()) {
      const std::string& name = p.key();
      for (const char* m : {"lora_A", "lora_B"})
        if (name.find(std::string(".") + m + ".") != std::string::npos)
          norms[std::string("lora/") + (m[5] == 'A' ? "A" : "B") + "_norm"].push_back(
              p.value().detach().norm().item<double>());
    }
    for (const auto& [tag, values] : norms) writer_->histogram(tag, values, step);
  }

  // The steps of samples/step-N/ that listen_samples finished (its summary.json written) since
  // `since`.
  static std::vector<int64_t> sample_steps(const std::string& output_dir,
                                           fs::file_time_type since) {
    std::vector<int64_t> steps;
    std::error_code ec;
    for (const auto& [step, dir] : listening_sample_dirs(output_dir)) {
      const fs::path summary = fs::path(dir) / "summary.json";
      if (fs::exists(summary) && fs::last_write_time(summary, ec) >= since) steps.push_back(step);
    }
    return steps;
  }

  void write_new_samples(TrainState& s) {
    if (!o_.audio) return;
    for (int64_t step : sample_steps(s.output_dir, started_)) {
      if (!logged_samples_.insert(step).second) continue;
      const fs::path dir = fs::path(s.output_dir) / "samples" / ("step-" + std::to_string(step));
      for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".json" || e.path().filename() == "summary.json") continue;
        const Json rep = Json::parse(read_file(e.path().string()));
        const std::string name = e.path().stem().string();
        std::string text = rep.value("text", std::string());
        for (const auto& p : rep.value("problems", Json::array()))
          text += "\n\n**problem:** " + p.get<std::string>();
        writer_->text("samples/" + name, text, step);
        const fs::path wav = dir / (name + ".wav");
        if (!rep.value("audio_written", false) || !fs::exists(wav)) continue;
        const std::string bytes = read_file(wav.string());
        writer_->audio(
            "samples/" + name, bytes, rep.value("sample_rate", 24000),
            /*channels=*/1,
            static_cast<int64_t>(rep.value("duration_s", 0.0) * rep.value("sample_rate", 24000)),
            step);
      }
    }
  }

  Options o_;
  bool main_;
  std::shared_ptr<Model> model_;
  std::unique_ptr<TfEventsWriter> writer_;
  int64_t last_train_step_ = -1, last_eval_step_ = -1;
  std::set<int64_t> logged_samples_;
  fs::file_time_type started_;
};

}  // namespace

HIGGS_REGISTER(Callback, TensorBoard, "tensorboard",
               "TensorBoard event files in the run directory: every metric, the listening samples "
               "as audio, LoRA weight-norm histograms.");

}  // namespace higgs
