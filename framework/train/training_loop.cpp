#include <torch/torch.h>

#include "framework/train/training_loop.h"

#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "framework/config/diagnostics.h"
#include "framework/distributed/data_parallel.h"
#include "framework/train/collator.h"
#include "framework/train/data_fingerprint.h"
#include "framework/train/dataset.h"
#include "framework/train/evaluation.h"
#include "framework/train/sampler.h"
#include "framework/train/stop_signals.h"
#include "framework/train/trainer_resume.h"
#include "framework/util/autocast.h"
#include "framework/util/device.h"
#include "framework/util/exit_codes.h"

namespace higgs {

namespace {

const ParameterList& checked_trainable(const TrainerParts& parts) {
  if (parts.trainable.empty())
    throw RecipeError("nothing to train: every parameter is frozen (check freezing and adapters)");
  return parts.trainable;
}

LoaderOptions train_loader_options(const DefaultTrainer::Options& o, const TrainerRun& run,
                                   const at::Device& device) {
  LoaderOptions lo;
  lo.pin_memory = device.is_cuda();  // page-locked batches: the copies to the GPU are asynchronous
  lo.batch_size = o.batch_size;
  lo.shuffle = o.shuffle;
  lo.seed = run.settings.seed;
  lo.num_workers = o.num_workers;
  lo.prefetch = o.prefetch;
  lo.rank = run.settings.placement.rank;
  lo.world_size = run.settings.placement.world_size;
  return lo;
}

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

// "step 20/200 loss 3.1416 lr 0.0001 grad_norm 0.812 text_loss ... audio_loss ... mem 1.20 GiB"
std::string train_log_line(const Json& m, int64_t total_steps) {
  char line[256];
  std::snprintf(line, sizeof(line), "step %lld/%lld loss %.4f lr %.3g grad_norm %.3f",
                static_cast<long long>(m["step"].get<int64_t>()),
                static_cast<long long>(total_steps), m["train/loss"].get<double>(),
                m["lr"].get<double>(), m["grad_norm"].get<double>());
  std::string text = line;
  for (const char* g : {"train/text_loss", "train/audio_loss"})
    if (m.contains(g)) text += std::string(" ") + (g + 6) + " " + c10::str(m[g].get<double>());
  if (m.contains("memory/peak_allocated_gib")) {
    std::snprintf(line, sizeof(line), " mem %.2f GiB",
                  m["memory/peak_allocated_gib"].get<double>());
    text += line;
  }
  return text;
}

}  // namespace

TrainingLoop::TrainingLoop(const DefaultTrainer::Options& o, const TrainerParts& parts,
                           const TrainerRun& run)
    : o_(o),
      parts_(parts),
      run_(run),
      comm_(run.communicator ? run.communicator : local_communicator()),
      main_rank_(run.settings.placement.is_main()),
      device_(checked_trainable(parts).front().tensor.device()),
      loader_options_(train_loader_options(o, run, device_)),
      loader_(parts.train_data, parts.collator, with_sampler_plan(loader_options_)),
      checkpoints_(run.output_dir),
      best_(o.best_metric, o.best_mode, o.save_best) {
  if (loader_.batches_per_epoch() == 0 && parts.sampler)
    throw RecipeError("sampler: " + parts.sampler->describe() + " makes no batch of train_data (" +
                      std::to_string(parts.train_data->size()) + " samples) for each of " +
                      std::to_string(loader_options_.world_size) +
                      " processes; check its options against the data (see data-check)");
  if (loader_.batches_per_epoch() == 0)
    throw RecipeError("train_data has " + std::to_string(parts.train_data->size()) +
                      " samples: not enough for one batch of " + std::to_string(o.batch_size) +
                      " on each of " + std::to_string(loader_options_.world_size) + " processes");
  steps_per_epoch_ = (loader_.batches_per_epoch() + o.grad_accum_steps - 1) / o.grad_accum_steps;
  schedule_.total_steps = o.max_steps > 0 ? o.max_steps : o.epochs * steps_per_epoch_;
  if (parts.sampler) {
    if (parts.sampler->depends_on_step() && o.max_steps <= 0)
      throw RecipeError("trainer.max_steps: sampler " + parts.sampler->describe() +
                        " widens its pool over the steps, so its epochs differ in length; give "
                        "the run's length as trainer.max_steps instead of epochs");
    if (o.allow_world_size_change)
      throw RecipeError(
          "trainer.allow_world_size_change: it re-counts a checkpoint's position "
          "in fixed-size batches, and this recipe's sampler plans its own batches; "
          "resume with the same number of processes");
    // Epochs of a sampler's plan differ in length (token budgets): the run's steps are theirs.
    if (o.max_steps <= 0) {
      schedule_.total_steps = 0;
      for (int64_t e = 0; e < o.epochs; ++e)
        schedule_.total_steps +=
            (static_cast<int64_t>(loader_.plan_of(e).size()) + o.grad_accum_steps - 1) /
            o.grad_accum_steps;
    }
  }
  schedule_.log_every = o.log_every;
  schedule_.eval_every = o.eval_every;
  schedule_.save_every = o.save_every;
}

TrainingLoop::~TrainingLoop() = default;

LoaderOptions TrainingLoop::with_sampler_plan(LoaderOptions lo) const {
  if (!parts_.sampler) return lo;
  // The plan of an epoch begins at the step the epoch began at (read when the epoch starts).
  lo.plan = [this](int64_t epoch) {
    PlanContext ctx;
    ctx.epoch = epoch;
    ctx.start_step = epoch == state_.epoch ? state_.epoch_start_step : 0;
    ctx.total_steps = schedule_.total_steps;
    ctx.seed = loader_options_.seed;
    ctx.rank = loader_options_.rank;
    ctx.world_size = loader_options_.world_size;
    ctx.batch_size = o_.batch_size;
    ctx.grad_accum_steps = o_.grad_accum_steps;
    ctx.shuffle = o_.shuffle;
    return parts_.sampler->plan(*parts_.train_data, ctx);
  };
  return lo;
}

void TrainingLoop::start() {
  // The data files as they are now: every checkpoint records them, and resuming refuses a file
  // that changed since (its saved position would index other samples).
  Json data_files = Json::object();
  data_files["train_data"] = fingerprint_files(parts_.train_data->source_files());
  if (parts_.eval_data)
    data_files["eval_data"] = fingerprint_files(parts_.eval_data->source_files());
  if (main_rank_) checkpoints_.recover();
  ResumeRequest request{run_.resume, run_.resolved_recipe, o_.allow_changed_on_resume,
                        data_files,  o_.batch_size,        o_.allow_world_size_change};
  state_ = resume_training(request, checkpoints_, parts_, *comm_, main_rank_);
  state_.world_size = comm_->world_size();
  state_.data_files = data_files;
  state_.total_steps = schedule_.total_steps;
  state_.output_dir = run_.output_dir;
  state_.eval_every = o_.eval_every;
  broadcast_parameters(*comm_, parts_.trainable);  // every rank starts from rank 0's weights
  if (main_rank_) metrics_ = std::make_unique<MetricsWriter>(run_.output_dir + "/metrics.jsonl");
}

int TrainingLoop::run() {
  start();
  StopSignals stop_signals;
  // The bar only: the train lines of log_every are the plain progress on a non-terminal.
  ProgressBar::Options bar;
  bar.label = "train";
  bar.unit = "step";
  bar.total = state_.total_steps;
  bar.start = state_.step;
  bar.show = main_rank_ && o_.progress_bar;
  bar.plain_every_seconds = 0;
  progress_ = std::make_unique<ProgressBar>(bar);
  for (auto& cb : parts_.callbacks) cb->on_train_begin(state_);
  if (parts_.sampler)
    spdlog::info("training {} steps ({} in epoch 0: {}, x {} accumulation x {} processes)",
                 state_.total_steps, steps_per_epoch_, parts_.sampler->describe(),
                 o_.grad_accum_steps, loader_options_.world_size);
  else
    spdlog::info("training {} steps ({} per epoch, batch {} x {} accumulation x {} processes)",
                 state_.total_steps, steps_per_epoch_, o_.batch_size, o_.grad_accum_steps,
                 loader_options_.world_size);
  if (run_.dry_run) {
    spdlog::info("--dry-run: every component built; not training");
    return 0;
  }
  parts_.model->module().train();
  loader_.start_epoch(state_.epoch, state_.batch_in_epoch);
  while (state_.step < state_.total_steps) {
    const Step done = step();
    if (done == Step::kEpochOver) {
      state_.epoch_start_step = state_.step;
      loader_.start_epoch(++state_.epoch, 0);
    }
    if (done != Step::kDone) continue;
    if (schedule_.log_now(state_.step)) log_train_metrics();
    progress_->update(state_.step, "loss " + c10::str(last_loss_));
    for (auto& cb : parts_.callbacks) cb->on_step_end(state_);
    if (schedule_.eval_now(state_.step)) evaluate();
    if (schedule_.save_now(state_.step) || state_.stop_requested || signal_seen_ || best_pending_)
      save(false);
    if (signal_seen_) break;
    if (state_.stop_requested) {
      spdlog::info("stopped by a callback at step {}", state_.step);
      break;
    }
  }
  progress_->finish();
  if (signal_seen_) {
    spdlog::warn("stopped by signal {} at step {}; checkpoint written, continue with --resume auto",
                 signal_seen_, state_.step);
  } else {
    evaluate();
    save(true);
    for (auto& cb : parts_.callbacks) cb->on_train_end(state_);
  }
  auto skipped = loader_.stats();
  if (skipped.skipped > 0)
    spdlog::warn("{} of {} training samples were skipped", skipped.skipped, skipped.seen);
  return signal_seen_ ? kExitInterrupted : kExitSuccess;
}

TrainingLoop::Step TrainingLoop::step() {
  std::vector<Batch> window;
  while (static_cast<int64_t>(window.size()) < o_.grad_accum_steps) {
    auto b = loader_.next();
    if (!b) break;
    window.push_back(std::move(*b));
  }
  std::map<std::string, int64_t> counts;
  for (const auto& b : window)
    for (const auto& [k, v] : parts_.model->target_counts(b)) counts[k] += v;
  // Counts over the global window (every rank), so 2 ranks x batch b step like 1 x 2b.
  if (!global_window_counts(*comm_, !window.empty(), counts))
    return Step::kEpochOver;  // every rank
  double loss_value = 0.0;
  for (const auto& b : window) {
    std::vector<LossTerm> terms;
    {
      Bf16Autocast autocast(device_.type(), o_.precision == "bf16");
      terms = parts_.model->loss_terms(b);
    }
    at::Tensor loss = window_loss(terms, counts);
    loss.backward();
    loss_value += loss.detach().item<double>();
    train_losses_.add(terms);
  }
  all_reduce_gradients(*comm_, parts_.trainable);
  // The loss of the global batch, and a signal seen by any rank, so all ranks decide alike.
  auto reduced =
      all_reduce_values(*comm_, {loss_value, double(StopSignals::received())}, ReduceOp::Sum);
  loss_value = reduced[0];
  // Another rank's signal stops this one too (as SIGTERM when this rank has received none).
  if (reduced[1] != 0 && !signal_seen_) {
    const int here = StopSignals::received();
    signal_seen_ = here ? here : SIGTERM;
  }
  std::vector<at::Tensor> grads;
  for (const auto& p : parts_.trainable)
    if (p.tensor.grad().defined()) grads.push_back(p.tensor);
  const double norm =
      torch::nn::utils::clip_grad_norm_(grads, o_.max_grad_norm > 0 ? o_.max_grad_norm : 1e30);
  if (!std::isfinite(loss_value) || !std::isfinite(norm)) {
    parts_.optimizer->zero_grad();
    ++state_.bad_steps;
    spdlog::warn("step {}: non-finite loss ({}) or gradient norm ({}); step skipped ({} in a row)",
                 state_.step + 1, loss_value, norm, state_.bad_steps);
    if (state_.bad_steps >= o_.max_bad_steps)
      throw std::runtime_error("aborting: " + std::to_string(state_.bad_steps) +
                               " non-finite steps in a row; check the data (NaN/inf audio or "
                               "features), the model's weights "
                               "(a checkpoint with NaN/inf) and the learning rate");
    return Step::kSkipped;
  }
  state_.bad_steps = 0;
  last_lr_scale_ =
      parts_.scheduler ? parts_.scheduler->lr_scale(state_.step, state_.total_steps) : 1.0;
  parts_.optimizer->step(last_lr_scale_);
  parts_.optimizer->zero_grad();
  ++state_.step;
  last_loss_ = loss_value;
  grad_norm_sum_ += norm;
  ++window_steps_;
  return Step::kDone;
}

void TrainingLoop::log_train_metrics() {
  all_reduce_totals(*comm_, train_losses_);
  Json m = train_losses_.metrics("train/");
  m["step"] = state_.step;
  m["epoch"] = state_.epoch;
  m["lr"] = parts_.optimizer->base_lr() * last_lr_scale_;
  m["grad_norm"] = grad_norm_sum_ / double(window_steps_);
  m["steps_per_second"] = progress_->rate();
  add_memory_metrics(m, device_);
  if (metrics_) metrics_->write(m);
  if (main_rank_) spdlog::info("{}", train_log_line(m, state_.total_steps));
  state_.metrics = m;
  train_losses_.clear();
  grad_norm_sum_ = 0.0;
  window_steps_ = 0;
}

void TrainingLoop::evaluate() {
  if (!parts_.eval_data) return;
  EvaluationOptions eo;
  eo.loader = loader_options_;
  eo.loader.plan = nullptr;  // evaluation batches every example once, by labels
  eo.loader.batch_size = o_.eval_batch_size > 0 ? o_.eval_batch_size : o_.batch_size;
  eo.loader.name = "eval";
  eo.max_batches = o_.eval_batches;
  eo.progress.show = main_rank_ && o_.progress_bar;
  eo.progress.plain_every_seconds = 0;  // the eval lines are the plain progress
  eo.progress.keep = false;             // below the training bar, gone when done
  Json m = evaluate_model(*parts_.model, parts_.eval_data, parts_.collator, eo, *comm_).metrics;
  if (m.empty()) return;
  // What callbacks measure at an evaluation (listen_samples' scores and quality means) joins the
  // record, so best_metric and early stopping can follow it like the loss. Rank 0's values count.
  for (auto& cb : parts_.callbacks) {
    // Rank 0 measures alone (listen_samples generates there): its failure is sent along with its
    // values, so that every rank stops with it instead of waiting in the broadcast.
    Json measured;
    try {
      measured = cb->eval_metrics(state_);
    } catch (const std::exception& e) {
      measured = Json{{"__error__", e.what()}};
    }
    const Json extra = broadcast_json(*comm_, measured);
    if (extra.contains("__error__"))
      throw std::runtime_error("evaluation at step " + std::to_string(state_.step) + ": " +
                               extra["__error__"].get<std::string>());
    if (measured.contains("__error__"))  // another rank than 0 failed
      throw std::runtime_error(measured["__error__"].get<std::string>());
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (!it.value().is_number()) continue;
      const std::string key = it.key().rfind("eval/", 0) == 0 ? it.key() : "eval/" + it.key();
      m[key] = it.value().get<double>();
    }
  }
  Json record = m;
  record["step"] = state_.step;
  if (metrics_) metrics_->write(record);
  std::string line = "eval step " + std::to_string(state_.step);
  for (auto it = m.begin(); it != m.end(); ++it)
    if (it.key().find("_cb") == std::string::npos)
      line += " " + it.key().substr(5) + "=" + c10::str(it.value().get<double>());
  spdlog::info("{}", line);
  state_.metrics = m;
  // Eval metrics are reduced over ranks, so every rank agrees on an improvement.
  if (best_.observe(m, state_)) best_pending_ = true;
  for (auto& cb : parts_.callbacks) cb->on_eval_end(state_);
}

void TrainingLoop::save(bool is_final) {
  std::exception_ptr failed;
  try {
    write_checkpoint(is_final);
  } catch (...) {
    failed = std::current_exception();
  }
  const bool ok = comm_->agree(!failed);
  if (failed) std::rethrow_exception(failed);
  if (!ok)
    throw std::runtime_error("rank 0 failed to write the checkpoint of step " +
                             std::to_string(state_.step) + " (see its error)");
}

void TrainingLoop::write_checkpoint(bool is_final) {
  const bool mark_best = best_pending_;
  best_pending_ = false;
  if (!main_rank_) return;
  state_.batch_in_epoch = loader_.position();
  state_.callback_states = Json::array();
  for (auto& cb : parts_.callbacks) state_.callback_states.push_back(cb->state());
  const std::string path = checkpoints_.write(
      {parts_.trainable, *parts_.optimizer, parts_.adapters, state_, run_.resolved_recipe});
  spdlog::info("saved checkpoint {}", path);
  if (mark_best && std::filesystem::path(path).filename() == state_.best_checkpoint)
    checkpoints_.set_best(path);
  for (auto& cb : parts_.callbacks) cb->on_save(state_, path);
  checkpoints_.prune(o_.keep_last, state_.best_checkpoint);
  if (!is_final) return;
  const std::string final_dir = checkpoints_.write_final(*parts_.model, parts_.adapters);
  spdlog::info("final {} written to {}", parts_.adapters.empty() ? "model" : "adapter", final_dir);
}

}  // namespace higgs
