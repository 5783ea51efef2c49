#include "framework/train/default_trainer.h"

#include <torch/torch.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "framework/config/json_file.h"
#include "framework/distributed/data_parallel.h"
#include "framework/distributed/resume.h"
#include "framework/train/trainable.h"
#include "framework/train/checkpoint.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "framework/train/data_fingerprint.h"
#include "framework/train/data_loader.h"
#include "framework/train/evaluation.h"
#include "framework/train/loss_metrics.h"
#include "framework/train/progress.h"
#include "framework/train/trainer_state.h"
#include "framework/util/fs.h"
#include "framework/util/glob.h"
#include "framework/util/autocast.h"
#include "framework/util/device.h"
#include "framework/util/dir_commit.h"

namespace fs = std::filesystem;

namespace higgs {

void DefaultTrainer::bind(Binder& b, Options& o) {
  b.opt("max_steps", o.max_steps, "Optimizer steps to run; 0 runs `epochs` epochs.").min(0);
  b.opt("epochs", o.epochs, "Epochs to run when max_steps is 0.").min(1);
  b.opt("batch_size", o.batch_size, "Samples per micro-batch on each process.").min(1);
  b.opt("eval_batch_size", o.eval_batch_size, "Samples per eval batch; 0 uses batch_size.").min(0);
  b.opt("grad_accum_steps", o.grad_accum_steps, "Micro-batches per optimizer step.").min(1);
  b.opt("max_grad_norm", o.max_grad_norm, "Clip the gradient norm to this; 0 disables.").min(0);
  b.choice("precision", o.precision, {"fp32", "bf16"}, "fp32, or bf16 autocast (fp32 master weights).");
  b.opt("log_every", o.log_every, "Log train metrics every N steps.").min(1);
  b.opt("eval_every", o.eval_every, "Evaluate every N steps; 0 only at the end.").min(0);
  b.opt("eval_batches", o.eval_batches, "Eval batches per evaluation; 0 means all.").min(0);
  b.opt("save_every", o.save_every, "Checkpoint every N steps; 0 only at the end.").min(0);
  b.opt("keep_last", o.keep_last, "Checkpoints kept (the best one is kept too); 0 keeps all.").min(0);
  b.opt("best_metric", o.best_metric, "Metric that picks the best checkpoint.");
  b.opt("save_best", o.save_best,
        "Write a checkpoint whenever best_metric improves, keep it, and link it as `best` in the run "
        "directory.");
  b.choice("best_mode", o.best_mode, {"min", "max"}, "Whether lower or higher best_metric is better.");
  b.opt("num_workers", o.num_workers, "Background threads loading samples; 0 loads inline.").min(0);
  b.opt("prefetch", o.prefetch, "Batches prepared ahead of training.").min(1);
  b.opt("shuffle", o.shuffle, "Shuffle training samples each epoch (seeded).");
  b.opt("max_bad_steps", o.max_bad_steps, "Abort after this many non-finite steps in a row.").min(1);
  b.opt("allow_changed_on_resume", o.allow_changed_on_resume,
        "Recipe keys (globs) allowed to differ when resuming.");
  b.opt("progress_bar", o.progress_bar, "Show a progress bar on a terminal.");
  b.opt("allow_world_size_change", o.allow_world_size_change,
        "Resume a checkpoint written with another number of processes, at the same place in "
        "the epoch's sample order.");
}

DefaultTrainer::DefaultTrainer(const Options& o) : o_(o) {}

BatchSizes DefaultTrainer::batch_sizes() const {
  return {o_.batch_size, o_.eval_batch_size > 0 ? o_.eval_batch_size : o_.batch_size, o_.eval_batches};
}

const std::vector<std::string>& default_resume_changeable_keys() {
  static const std::vector<std::string> keys{
      "output_dir",         "threads",           "description",        "trainer.max_steps",
      "trainer.epochs",     "trainer.log_every", "trainer.eval_every", "trainer.save_every",
      "trainer.keep_last",  "trainer.num_workers", "trainer.prefetch", "trainer.progress_bar",
      "trainer.eval_batches", "trainer.allow_changed_on_resume*",
      "trainer.allow_world_size_change", "callbacks*", "task*"};
  return keys;
}

std::vector<std::string> disallowed_recipe_changes(const Json& before, const Json& after,
                                                   const std::vector<std::string>& allowed) {
  std::map<std::string, Json> a, b;
  for (auto& [k, v] : flatten(before)) a[k] = v;
  for (auto& [k, v] : flatten(after)) b[k] = v;
  std::vector<std::string> out;
  auto check = [&](const std::string& key, const std::string& from, const std::string& to) {
    if (glob_match_any(allowed, key) || glob_match_any(default_resume_changeable_keys(), key)) return;
    out.push_back(key + ": " + from + " -> " + to);
  };
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end()) check(k, v.dump(), "(removed)");
    else if (it->second != v) check(k, v.dump(), it->second.dump());
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) check(k, "(absent)", v.dump());
  return out;
}

namespace {

std::atomic<int> g_signal{0};
extern "C" void on_signal(int sig) { g_signal = sig; }

// SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) end training with a checkpoint
// while the guard lives; the previous handlers come back when it ends, by an exception too.
class StopSignals {
 public:
  StopSignals() {
    g_signal = 0;
    for (int i = 0; i < 3; ++i) old_[i] = std::signal(kSignals[i], on_signal);
  }
  ~StopSignals() {
    for (int i = 0; i < 3; ++i) std::signal(kSignals[i], old_[i]);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  void (*old_[3])(int) = {};
};

// Memory figures of the log window: the CUDA caching allocator's peaks since the last log (then
// a new window starts) and the process's peak resident set, in GiB.
void add_memory_metrics(Json& m, const at::Device& device) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (auto mem = device_memory(device)) {
    m["memory/peak_allocated_gib"] = double(mem->peak_allocated) / kGiB;
    m["memory/peak_reserved_gib"] = double(mem->peak_reserved) / kGiB;
    reset_peak_memory(device);
  }
  m["memory/host_peak_rss_gib"] = double(host_peak_rss_bytes()) / kGiB;
}

}  // namespace

int DefaultTrainer::train(const TrainerParts& parts, const TrainerRun& ctx) {
  auto comm = ctx.communicator ? ctx.communicator : local_communicator();
  const bool main_rank = ctx.settings.placement.is_main();
  const auto& model = parts.model;
  const auto& adapters = parts.adapters;
  const auto params = &parts.trainable;
  if (params->empty()) throw RecipeError("nothing to train: every parameter is frozen (check freezing and adapters)");
  const auto& optimizer = parts.optimizer;
  const auto& scheduler = parts.scheduler;
  const auto& callbacks = parts.callbacks;
  const auto& collator = parts.collator;
  const auto& train_data = parts.train_data;
  const auto& eval_data = parts.eval_data;
  // The data files as they are now: every checkpoint records them, and resuming refuses a file
  // that changed since (its saved position would index other samples).
  Json data_files = Json::object();
  data_files["train_data"] = fingerprint_files(train_data->source_files());
  if (eval_data) data_files["eval_data"] = fingerprint_files(eval_data->source_files());

  // The device training runs on: the trainable parameters' (autocast, RNG state, memory figures).
  const at::Device device = params->front().tensor.device();
  LoaderOptions lo;
  lo.pin_memory = device.is_cuda();  // page-locked batches: the copies to the GPU are asynchronous
  lo.batch_size = o_.batch_size;
  lo.shuffle = o_.shuffle;
  lo.seed = ctx.settings.seed;
  lo.num_workers = o_.num_workers;
  lo.prefetch = o_.prefetch;
  lo.rank = ctx.settings.placement.rank;
  lo.world_size = ctx.settings.placement.world_size;
  DataLoader loader(train_data, collator, lo);
  if (loader.batches_per_epoch() == 0)
    throw RecipeError("train_data has " + std::to_string(train_data->size()) +
                      " samples: not enough for one batch of " + std::to_string(o_.batch_size) +
                      " on each of " + std::to_string(lo.world_size) + " processes");
  int64_t steps_per_epoch = (loader.batches_per_epoch() + o_.grad_accum_steps - 1) / o_.grad_accum_steps;
  int64_t total_steps = o_.max_steps > 0 ? o_.max_steps : o_.epochs * steps_per_epoch;

  CheckpointStore store(ctx.output_dir);
  TrainerProgress prog;
  if (main_rank) store.recover();
  if (!ctx.resume.empty()) {
    std::optional<std::string> ckpt;
    if (ctx.resume == "auto") {
      // The newest checkpoint whose files match their manifest; a damaged newer one is passed over.
      ckpt = store.newest_verified([&](const std::string& dir, const std::string& problem) {
        if (main_rank)
          spdlog::warn("--resume auto: passing over {}: {}; resuming from an older checkpoint",
                       dir, problem);
      });
    } else {
      ckpt = ctx.resume;
      if (fs::exists(fs::path(*ckpt) / kManifestFile))  // else: not a checkpoint (below)
        if (auto problem = CheckpointStore::verify(*ckpt))
          throw RecipeError("--resume " + *ckpt + ": the checkpoint is damaged: " + *problem +
                            "; resume from an older checkpoint-STEP of the run (or --resume auto, "
                            "which picks the newest complete one)");
    }
    ckpt = agree_on_checkpoint(*comm, ckpt, ctx.output_dir, ctx.resume == "auto");
    if (!ckpt) {
      spdlog::info("--resume auto: no checkpoint in {}, starting from step 0", ctx.output_dir);
    } else {
      if (!fs::exists(fs::path(*ckpt) / "trainer_state.json"))
        throw RecipeError("--resume " + *ckpt + ": not a complete checkpoint (no trainer_state.json)");
      const std::string advice = "the checkpoint is damaged: resume from an older checkpoint-STEP of the run";
      Json before = read_json_file((fs::path(*ckpt) / "recipe.resolved.json").string(), advice);
      auto bad = disallowed_recipe_changes(before, ctx.resolved_recipe, o_.allow_changed_on_resume);
      if (!bad.empty()) {
        std::vector<Diagnostic> items;
        for (const auto& b : bad) items.push_back({"", b});
        items.push_back({"", "allow them with trainer.allow_changed_on_resume, or start a new run"});
        throw RecipeError("resuming " + *ckpt + " with a changed recipe", items);
      }
      prog = TrainerProgress::from_json(read_json_file((fs::path(*ckpt) / "trainer_state.json").string(), advice));
      std::vector<Diagnostic> changed;
      for (const auto& [split, now] : data_files.items()) {
        if (!prog.data_files.contains(split)) continue;  // a checkpoint from before they were kept
        for (const auto& line : fingerprint_changes(split, prog.data_files[split], now)) {
          if (glob_match_any(o_.allow_changed_on_resume, split + ".contents")) {
            if (main_rank) spdlog::warn("resuming with changed data (allowed): {}", line);
          } else {
            changed.push_back({"", line});
          }
        }
      }
      if (!changed.empty()) {
        changed.push_back({"", "the checkpoint's position (epoch " + std::to_string(prog.epoch) +
                                   ", batch " + std::to_string(prog.batch_in_epoch) +
                                   ") indexes the samples as they were; restore the files, start a "
                                   "new run, or allow it with trainer.allow_changed_on_resume: "
                                   "[\"train_data.contents\"]"});
        throw RecipeError("resuming " + *ckpt + " with changed data files", changed);
      }
      adapt_progress_to_world_size(prog, comm->world_size(), before["trainer"].value("batch_size", o_.batch_size),
                                   o_.batch_size, o_.allow_world_size_change, *ckpt);
      load_trainable_state(*params, load_tensor_map((fs::path(*ckpt) / "trainable.pt").string()), *ckpt);
      optimizer->load_state(load_tensor_map((fs::path(*ckpt) / "optimizer.pt").string()));
      set_rng_states(load_tensor_map((fs::path(*ckpt) / "rng.pt").string()), device, *ckpt);
      for (size_t i = 0; i < callbacks.size() && i < prog.callbacks.size(); ++i)
        callbacks[i]->load_state(prog.callbacks[i]);
      spdlog::info("resumed from {} at step {} (epoch {}, batch {})", *ckpt, prog.step, prog.epoch,
                   prog.batch_in_epoch);
    }
  }
  prog.world_size = comm->world_size();
  prog.data_files = data_files;
  broadcast_parameters(*comm, *params);  // every rank starts from rank 0's weights

  std::unique_ptr<MetricsWriter> metrics;
  if (main_rank) metrics = std::make_unique<MetricsWriter>(ctx.output_dir + "/metrics.jsonl");
  TrainState state;
  state.total_steps = total_steps;
  state.output_dir = ctx.output_dir;
  state.eval_every = o_.eval_every;
  state.step = prog.step;
  state.epoch = prog.epoch;

  auto evaluate = [&]() -> Json {
    if (!eval_data) return Json::object();
    EvaluationOptions eo;
    eo.loader = lo;
    eo.loader.batch_size = o_.eval_batch_size > 0 ? o_.eval_batch_size : o_.batch_size;
    eo.loader.name = "eval";
    eo.max_batches = o_.eval_batches;
    return evaluate_model(*model, eval_data, collator, eo, *comm).metrics;
  };

  // best_metric improved at this step: write a checkpoint for it. Eval metrics are reduced over
  // ranks, so every rank agrees on it.
  bool best_pending = false;
  auto write_checkpoint = [&](bool is_final) {
    const bool mark_best = best_pending;
    best_pending = false;
    if (!main_rank) return;
    prog.step = state.step;
    prog.epoch = state.epoch;
    prog.batch_in_epoch = loader.position();
    prog.callbacks = Json::array();
    for (auto& cb : callbacks) prog.callbacks.push_back(cb->state());
    std::string path = store.write(state.step, [&](const std::string& dir) {
      save_tensor_map(dir + "/trainable.pt", trainable_state(*params));
      save_tensor_map(dir + "/optimizer.pt", optimizer->state());
      save_tensor_map(dir + "/rng.pt", rng_states(device));
      for (size_t i = 0; i < adapters.size(); ++i)
        adapters[i]->save(dir + (i == 0 ? "/adapter" : "/adapter_" + std::to_string(i)));
      write_file_atomic(dir + "/recipe.resolved.json", ctx.resolved_recipe.dump(2) + "\n");
      write_file_atomic(dir + "/trainer_state.json", prog.to_json().dump(2) + "\n");
    });
    spdlog::info("saved checkpoint {}", path);
    if (mark_best && fs::path(path).filename() == fs::path(prog.best_checkpoint).filename())
      store.set_best(path);
    for (auto& cb : callbacks) cb->on_save(state, path);
    store.prune(o_.keep_last, prog.best_checkpoint);
    if (is_final) {
      // Written whole and renamed in: an existing final/ stays until the new one is complete.
      const std::string final_dir = ctx.output_dir + "/final";
      write_directory_atomically(final_dir, [&](const std::string& dir) {
        if (!adapters.empty()) {
          for (size_t i = 0; i < adapters.size(); ++i)
            adapters[i]->save(dir + (i == 0 ? "" : "/adapter_" + std::to_string(i)));
        } else {
          model->save(dir);
        }
      }, "final");
      spdlog::info("final {} written to {}", adapters.empty() ? "model" : "adapter", final_dir);
    }
  };

  // Rank 0 writes; every rank waits for it, and all stop when the write fails.
  auto save_checkpoint = [&](bool is_final) {
    std::exception_ptr failed;
    try {
      write_checkpoint(is_final);
    } catch (...) {
      failed = std::current_exception();
    }
    bool ok = comm->agree(!failed);
    if (failed) std::rethrow_exception(failed);
    if (!ok)
      throw std::runtime_error("rank 0 failed to write the checkpoint of step " +
                               std::to_string(state.step) + " (see its error)");
  };

  auto record_eval = [&](const Json& m) {
    if (m.empty()) return;
    Json rec = m;
    rec["step"] = state.step;
    if (metrics) metrics->write(rec);
    std::string line = "eval step " + std::to_string(state.step);
    for (auto it = m.begin(); it != m.end(); ++it)
      if (it.key().find("_cb") == std::string::npos) line += " " + it.key().substr(5) + "=" + c10::str(it.value().get<double>());
    spdlog::info("{}", line);
    state.metrics = m;
    if (m.contains(o_.best_metric)) {
      double v = m[o_.best_metric].get<double>();
      bool better = !prog.has_best || (o_.best_mode == "min" ? v < prog.best_value : v > prog.best_value);
      if (better) {
        prog.has_best = true;
        prog.best_value = v;
        if (o_.save_best) {
          // By name: the run directory may be moved between runs.
          prog.best_checkpoint = "checkpoint-" + std::to_string(state.step);
          best_pending = true;
          spdlog::info("new best {} = {:.6g} at step {}", o_.best_metric, v, state.step);
        }
      }
    }
    for (auto& cb : callbacks) cb->on_eval_end(state);
  };

  StopSignals stop_signals;
  bool bf16 = o_.precision == "bf16";
  const at::DeviceType device_type = device.type();  // autocast's device
  Progress progress(total_steps, state.step, main_rank, o_.progress_bar);
  for (auto& cb : callbacks) cb->on_train_begin(state);
  spdlog::info("training {} steps ({} per epoch, batch {} x {} accumulation x {} processes)", total_steps,
               steps_per_epoch, o_.batch_size, o_.grad_accum_steps, lo.world_size);
  if (ctx.dry_run) {
    spdlog::info("--dry-run: every component built; not training");
    return 0;
  }

  model->module().train();
  loader.start_epoch(state.epoch, prog.batch_in_epoch);
  LossAccumulator train_acc;
  double grad_norm_sum = 0.0;
  int64_t window_steps = 0;
  bool interrupted = false;
  int signal_seen = 0;
  while (state.step < total_steps) {
    std::vector<Batch> window;
    while (static_cast<int64_t>(window.size()) < o_.grad_accum_steps) {
      auto b = loader.next();
      if (!b) break;
      window.push_back(std::move(*b));
    }
    std::map<std::string, int64_t> counts;
    for (const auto& b : window)
      for (const auto& [k, v] : model->target_counts(b)) counts[k] += v;
    // Counts over the global window (every rank), so 2 ranks x batch b step like 1 x 2b.
    if (!global_window_counts(*comm, !window.empty(), counts)) {  // epoch over on every rank
      ++state.epoch;
      loader.start_epoch(state.epoch, 0);
      continue;
    }
    double loss_value = 0.0;
    for (const auto& b : window) {
      std::vector<LossTerm> terms;
      {
        Bf16Autocast autocast(device_type, bf16);
        terms = model->loss_terms(b);
      }
      at::Tensor loss = window_loss(terms, counts);
      loss.backward();
      loss_value += loss.detach().item<double>();
      train_acc.add(terms);
    }
    all_reduce_gradients(*comm, *params);
    // The loss of the global batch, and a signal seen by any rank, so all ranks decide alike.
    auto reduced = all_reduce_values(*comm, {loss_value, double(g_signal.load())}, ReduceOp::Sum);
    loss_value = reduced[0];
    if (reduced[1] != 0 && !signal_seen) signal_seen = g_signal != 0 ? g_signal.load() : SIGTERM;
    std::vector<at::Tensor> grads;
    for (const auto& p : *params) if (p.tensor.grad().defined()) grads.push_back(p.tensor);
    double norm = o_.max_grad_norm > 0 ? torch::nn::utils::clip_grad_norm_(grads, o_.max_grad_norm)
                                       : torch::nn::utils::clip_grad_norm_(grads, 1e30);
    if (!std::isfinite(loss_value) || !std::isfinite(norm)) {
      optimizer->zero_grad();
      ++prog.bad_steps;
      spdlog::warn("step {}: non-finite loss ({}) or gradient norm ({}); step skipped ({} in a row)",
                   state.step + 1, loss_value, norm, prog.bad_steps);
      if (prog.bad_steps >= o_.max_bad_steps)
        throw std::runtime_error("aborting: " + std::to_string(prog.bad_steps) +
                                 " non-finite steps in a row; check the data (NaN/inf audio or features), the model's weights "
                                 "(a checkpoint with NaN/inf) and the learning rate");
      continue;
    }
    prog.bad_steps = 0;
    double scale = scheduler ? scheduler->lr_scale(state.step, total_steps) : 1.0;
    optimizer->step(scale);
    optimizer->zero_grad();
    ++state.step;
    grad_norm_sum += norm;
    ++window_steps;

    std::string short_line = "loss " + c10::str(loss_value);
    if (state.step % o_.log_every == 0 || state.step == total_steps) {
      all_reduce_totals(*comm, train_acc);
      Json m = train_acc.metrics("train/");
      m["step"] = state.step;
      m["epoch"] = state.epoch;
      m["lr"] = optimizer->base_lr() * scale;
      m["grad_norm"] = grad_norm_sum / double(window_steps);
      m["steps_per_second"] = progress.steps_per_second();
      add_memory_metrics(m, device);
      if (metrics) metrics->write(m);
      char line[256];
      std::snprintf(line, sizeof(line), "step %lld/%lld loss %.4f lr %.3g grad_norm %.3f",
                    (long long)state.step, (long long)total_steps, m["train/loss"].get<double>(),
                    m["lr"].get<double>(), m["grad_norm"].get<double>());
      std::string text = line;
      for (const char* g : {"train/text_loss", "train/audio_loss"})
        if (m.contains(g)) text += std::string(" ") + (g + 6) + " " + c10::str(m[g].get<double>());
      if (m.contains("memory/peak_allocated_gib")) {
        std::snprintf(line, sizeof(line), " mem %.2f GiB", m["memory/peak_allocated_gib"].get<double>());
        text += line;
      }
      progress.log(text);
      state.metrics = m;
      train_acc.clear();
      grad_norm_sum = 0.0;
      window_steps = 0;
    }
    progress.update(state.step, short_line);
    for (auto& cb : callbacks) cb->on_step_end(state);
    if (o_.eval_every > 0 && state.step % o_.eval_every == 0 && state.step < total_steps) record_eval(evaluate());
    bool stop = state.stop_requested || signal_seen != 0;
    if ((o_.save_every > 0 && state.step % o_.save_every == 0 && state.step < total_steps) || stop ||
        best_pending)
      save_checkpoint(false);
    if (signal_seen != 0) {
      interrupted = true;
      progress.finish();
      spdlog::warn("stopped by signal {} at step {}; checkpoint written, continue with --resume auto",
                   signal_seen, state.step);
      break;
    }
    if (state.stop_requested) {
      spdlog::info("stopped by a callback at step {}", state.step);
      break;
    }
  }
  progress.finish();
  if (!interrupted) {
    record_eval(evaluate());
    save_checkpoint(true);
    for (auto& cb : callbacks) cb->on_train_end(state);
  }
  auto skipped = loader.stats();
  if (skipped.skipped > 0) spdlog::warn("{} of {} training samples were skipped", skipped.skipped, skipped.seen);
  return 0;
}

HIGGS_REGISTER(Trainer, DefaultTrainer, "default", "Training loop with accumulation, bf16, eval and exact resume.");

}  // namespace higgs
