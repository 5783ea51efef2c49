// The parts the default trainer's loop is made of, each on its own: the schedule, the best-metric
// tracker, the stop-signal guard, the state a checkpoint saves and the Checkpointer's layout.
#include <torch/torch.h>

#include <csignal>

#include <doctest/doctest.h>

#include "framework/config/diagnostics.h"
#include "framework/train/best_metric.h"
#include "framework/train/checkpointer.h"
#include "framework/train/stop_signals.h"
#include "framework/train/train_schedule.h"
#include "framework/train/trainer_state.h"
#include "tests/support/test_support.h"

using higgs::Json;

TEST_CASE("train schedule: log every N and at the last step, eval and save in between only") {
  higgs::TrainSchedule s{/*total_steps=*/10, /*log_every=*/4, /*eval_every=*/5, /*save_every=*/3};
  std::vector<int64_t> logs, evals, saves;
  for (int64_t step = 1; step <= 10; ++step) {
    if (s.log_now(step)) logs.push_back(step);
    if (s.eval_now(step)) evals.push_back(step);
    if (s.save_now(step)) saves.push_back(step);
  }
  CHECK(logs == std::vector<int64_t>{4, 8, 10});
  CHECK(evals == std::vector<int64_t>{5});  // step 10 is the end's evaluation, not the schedule's
  CHECK(saves == std::vector<int64_t>{3, 6, 9});
  higgs::TrainSchedule never{10, 1, 0, 0};
  for (int64_t step = 1; step <= 10; ++step) {
    CHECK_FALSE(never.eval_now(step));
    CHECK_FALSE(never.save_now(step));
  }
}

TEST_CASE(
    "best metric: min or max, kept in the state, a checkpoint asked for only with save_best") {
  higgs::TrainState state;
  higgs::BestMetricTracker lowest("eval/loss", "min", true);
  state.step = 10;
  CHECK(lowest.observe(Json{{"eval/loss", 2.0}}, state));
  CHECK(state.has_best);
  CHECK(state.best_value == 2.0);
  CHECK(state.best_checkpoint == "checkpoint-10");
  state.step = 20;
  CHECK_FALSE(lowest.observe(Json{{"eval/loss", 2.5}}, state));
  CHECK(state.best_checkpoint == "checkpoint-10");
  CHECK_FALSE(lowest.observe(Json{{"eval/wer", 0.1}}, state));  // the metric is absent
  state.step = 30;
  CHECK(lowest.observe(Json{{"eval/loss", 1.5}}, state));
  CHECK(state.best_checkpoint == "checkpoint-30");

  higgs::TrainState other;
  higgs::BestMetricTracker highest("eval/acc", "max", false);
  other.step = 5;
  CHECK_FALSE(highest.observe(Json{{"eval/acc", 0.5}}, other));  // tracked, no checkpoint
  CHECK(other.has_best);
  CHECK(other.best_checkpoint.empty());
  CHECK_FALSE(highest.observe(Json{{"eval/acc", 0.7}}, other));
  CHECK(other.best_value == 0.7);

  // It survives a checkpoint: the saved state holds it.
  const auto back = higgs::TrainState::from_json(state.to_json());
  CHECK(back.has_best);
  CHECK(back.best_value == 1.5);
  CHECK(back.best_checkpoint == "checkpoint-30");
}

namespace {
std::atomic<int> g_previous{0};
extern "C" void previous_handler(int sig) { g_previous = sig; }
}  // namespace

TEST_CASE(
    "stop signals: seen while the guard lives, the previous handler back after, by an exception "
    "too") {
  auto old = std::signal(SIGHUP, previous_handler);
  try {
    higgs::StopSignals guard;
    CHECK(higgs::StopSignals::received() == 0);
    std::raise(SIGHUP);
    CHECK(higgs::StopSignals::received() == SIGHUP);
    CHECK(g_previous == 0);
    throw std::runtime_error("a step failed");
  } catch (const std::runtime_error&) {
  }
  std::raise(SIGHUP);
  CHECK(g_previous == SIGHUP);
  higgs::StopSignals again;
  CHECK(higgs::StopSignals::received() == 0);  // a new guard starts clean
  std::signal(SIGHUP, old);
}

TEST_CASE("train state: what a checkpoint saves, under its file's keys") {
  higgs::TrainState s;
  s.step = 12;
  s.epoch = 1;
  s.batch_in_epoch = 3;
  s.epoch_start_step = 7;
  s.bad_steps = 1;
  s.world_size = 2;
  s.callback_states = Json::array({Json{{"best", 1.0}}});
  s.total_steps = 99;  // this run's plan: not saved
  s.metrics = Json{{"train/loss", 1.0}};
  const Json j = s.to_json();
  CHECK(j == Json{{"step", 12},
                  {"epoch", 1},
                  {"batch_in_epoch", 3},
                  {"epoch_start_step", 7},
                  {"bad_steps", 1},
                  {"world_size", 2},
                  {"best_value", nullptr},
                  {"best_checkpoint", ""},
                  {"callbacks", Json::array({Json{{"best", 1.0}}})},
                  {"data_files", Json::object()}});
  const auto back = higgs::TrainState::from_json(j);
  CHECK(back.step == 12);
  CHECK(back.batch_in_epoch == 3);
  CHECK(back.epoch_start_step == 7);
  CHECK(back.callback_states == s.callback_states);
  CHECK(back.total_steps == 0);
  CHECK_FALSE(back.has_best);
}

TEST_CASE("checkpointer: adapter places, and a path resolved to its checkpoint or a clear error") {
  CHECK(higgs::adapter_dir("ck", 0, false) == "ck/adapter");
  CHECK(higgs::adapter_dir("ck", 1, false) == "ck/adapter_1");
  CHECK(higgs::adapter_dir("out", 0, true) == "out");
  CHECK(higgs::adapter_dir("out", 2, true) == "out/adapter_2");

  higgs::test::TempDir dir("checkpointer-resolve");
  higgs::Checkpointer run(dir.path());
  for (int step : {2, 4})
    run.write_files(step, [&](const std::string& d) {
      higgs::test::write_text(d + "/trainer_state.json",
                              "{\"step\": " + std::to_string(step) + "}");
    });
  const std::string newest = dir.file("checkpoint-4");
  CHECK(higgs::Checkpointer::resolve(dir.path(), "newest", "generate") == newest);
  CHECK(higgs::Checkpointer::resolve(newest, "best", "generate") == newest);  // itself
  CHECK(higgs::Checkpointer::is_checkpoint(newest));
  CHECK_FALSE(higgs::Checkpointer::is_checkpoint(dir.path()));
  const std::string no_best = "export: " + dir.path() + " has no `best` checkpoint";
  CHECK_THROWS_WITH_AS(higgs::Checkpointer::resolve(dir.path(), "best", "export"),
                       doctest::Contains(no_best.c_str()), higgs::RecipeError);
  run.set_best(dir.file("checkpoint-2"));
  CHECK(higgs::Checkpointer::resolve(dir.path(), "best", "export") == dir.file("checkpoint-2"));
  const std::string neither =
      "evaluate: " + dir.file("nope") + " is neither a run directory nor a checkpoint directory";
  CHECK_THROWS_WITH_AS(higgs::Checkpointer::resolve(dir.file("nope"), "newest", "evaluate"),
                       doctest::Contains(neither.c_str()), higgs::RecipeError);
}
