// Callbacks early_stopping and metrics_csv, and best-by-eval checkpoints, driven by the default
// trainer on the linear test double (components registered in trainer_test.cpp).
#include <torch/torch.h>

#include "components/callbacks/callbacks.h"

#include <filesystem>
#include <sstream>

#include <doctest/doctest.h>

#include "framework/run/runner.h"
#include "framework/train/checkpointer.h"
#include "tests/support/test_support.h"
#include "tests/unit/train/trainer_doubles.h"

namespace fs = std::filesystem;

namespace higgs::callbacks_test {

using test::read_jsonl;
using test::run_json;

Json recipe(const std::string& out) {
  return test::linear_recipe(out, {{"max_steps", 8},
                                   {"batch_size", 4},
                                   {"log_every", 1},
                                   {"eval_every", 1},
                                   {"save_every", 0},
                                   {"keep_last", 1},
                                   {"num_workers", 0}});
}

int64_t last_step(const std::string& out) {
  int64_t s = 0;
  for (const auto& r : read_jsonl(out + "/metrics.jsonl"))
    s = std::max(s, r["step"].get<int64_t>());
  return s;
}

TrainState eval_state(int64_t step, double v) {
  TrainState s;
  s.step = step;
  s.metrics = Json{{"eval/loss", v}, {"eval/text_acc", 1.0 - v}};
  return s;
}

}  // namespace higgs::callbacks_test

using namespace higgs::callbacks_test;

TEST_CASE("early_stopping: patience, min_delta, mode, and its state round trip") {
  higgs::EarlyStopping::Options o;
  o.patience = 2;
  o.min_delta = 0.1;
  higgs::EarlyStopping es(o);
  // 1.0 best; 0.95 is not better by more than 0.1 (1 bad); 0.8 is (reset); 0.75, 0.71: 2 bad ->
  // stop.
  std::vector<double> values{1.0, 0.95, 0.8, 0.75, 0.71};
  std::vector<bool> stopped;
  for (size_t i = 0; i < values.size(); ++i) {
    auto s = eval_state(int64_t(i + 1), values[i]);
    es.on_eval_end(s);
    stopped.push_back(s.stop_requested);
  }
  CHECK(stopped == std::vector<bool>{false, false, false, false, true});
  CHECK(es.best() == doctest::Approx(0.8));
  CHECK(es.bad_evals() == 2);

  // The state continues in a fresh instance exactly where it was.
  higgs::EarlyStopping half(o), resumed(o);
  for (int i = 0; i < 3; ++i) {
    auto s = eval_state(i + 1, values[size_t(i)]);
    half.on_eval_end(s);
  }
  resumed.load_state(half.state());
  auto s4 = eval_state(4, 0.75);
  resumed.on_eval_end(s4);
  CHECK_FALSE(s4.stop_requested);
  auto s5 = eval_state(5, 0.71);
  resumed.on_eval_end(s5);
  CHECK(s5.stop_requested);
  // An evaluation repeated at the same step (the final one after a stop) is not counted twice.
  higgs::EarlyStopping::Options o1 = o;
  o1.patience = 1;
  higgs::EarlyStopping one(o1);
  auto a = eval_state(1, 1.0), b = eval_state(1, 2.0);
  one.on_eval_end(a);
  one.on_eval_end(b);
  CHECK_FALSE(b.stop_requested);

  // mode max watches accuracy.
  higgs::EarlyStopping::Options om;
  om.monitor = "eval/text_acc";
  om.mode = "max";
  om.patience = 1;
  higgs::EarlyStopping es_max(om);
  auto m1 = eval_state(1, 0.5), m2 = eval_state(2, 0.4), m3 = eval_state(3, 0.6);
  es_max.on_eval_end(m1);  // acc 0.5
  es_max.on_eval_end(m2);  // acc 0.6: better
  CHECK_FALSE(m2.stop_requested);
  es_max.on_eval_end(m3);  // acc 0.4: worse, patience 1
  CHECK(m3.stop_requested);

  // A metric the evaluation does not report is an error with a suggestion.
  higgs::EarlyStopping::Options bad;
  bad.monitor = "eval/los";
  higgs::EarlyStopping es_bad(bad);
  auto s = eval_state(1, 1.0);
  CHECK_THROWS_WITH(es_bad.on_eval_end(s), doctest::Contains("did you mean \"eval/loss\""));
}

TEST_CASE("early_stopping in the trainer stops the run, and resume keeps its state") {
  higgs::test::TempDir dir("early-stop");
  // lr 0: the eval loss never changes, so the first evaluation is the best and the run stops
  // after `patience` more evaluations: at step 3.
  auto r = recipe(dir.file("full"));
  r["optimizer"]["lr"] = 0.0;
  r["callbacks"] = higgs::Json::array({{{"type", "early_stopping"}, {"patience", 2}}});
  REQUIRE(run_json(r) == 0);
  CHECK(last_step(dir.file("full")) == 3);
  CHECK(fs::exists(dir.file("full/checkpoint-3/trainer_state.json")));
  auto st =
      higgs::Json::parse(higgs::test::read_text(dir.file("full/checkpoint-3/trainer_state.json")));
  CHECK(st["callbacks"][0]["bad_evals"] == 2);

  // Stopped at step 2 (one bad evaluation), then resumed: it stops at step 3 too, not at 4.
  auto part = recipe(dir.file("part"));
  part["optimizer"]["lr"] = 0.0;
  part["callbacks"] = r["callbacks"];
  part["trainer"]["max_steps"] = 2;
  REQUIRE(run_json(part) == 0);
  part["trainer"]["max_steps"] = 8;
  higgs::RunFlags flags;
  flags.resume = "auto";
  REQUIRE(run_json(part, flags) == 0);
  CHECK(last_step(dir.file("part")) == 3);

  // Without eval_data the callback is a recipe error.
  auto no_eval = recipe(dir.file("none"));
  no_eval.erase("eval_data");
  no_eval["callbacks"] = r["callbacks"];
  CHECK_THROWS_WITH_AS(
      run_json(no_eval),
      doctest::Contains("callbacks[0].monitor: early_stopping monitors \"eval/loss\" "
                        "but the recipe has no eval_data"),
      higgs::RecipeError);
  // Found while the recipe is read: no run directory was started.
  CHECK_FALSE(std::filesystem::exists(dir.file("none")));
}

TEST_CASE(
    "metrics_csv: one row per train and eval record, equal to metrics.jsonl, resume drops redone "
    "rows") {
  higgs::test::TempDir dir("metrics-csv");
  auto r = recipe(dir.file("full"));
  r["trainer"]["max_steps"] = 4;
  r["trainer"]["eval_every"] = 2;
  r["callbacks"] = higgs::Json::array({{{"type", "metrics_csv"}}});
  REQUIRE(run_json(r) == 0);
  const std::string csv = higgs::test::read_text(dir.file("full/metrics.csv"));
  std::istringstream in(csv);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ls(line);
    std::string c;
    while (std::getline(ls, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  REQUIRE(rows.size() == 1 + 6);  // header; steps 1, 2, eval 2, 3, 4, eval 4
  const auto& header = rows[0];
  CHECK(header[0] == "step");
  auto col = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(it != header.end(), name);
    return size_t(it - header.begin());
  };
  size_t train_loss = col("train/loss"), eval_loss = col("eval/loss");
  auto recs = read_jsonl(dir.file("full/metrics.jsonl"));
  REQUIRE(recs.size() == 6);
  for (size_t i = 0; i < recs.size(); ++i) {
    const auto& row = rows[i + 1];
    CHECK(std::stoll(row[0]) == recs[i]["step"].get<int64_t>());
    if (recs[i].contains("train/loss")) {
      CHECK(std::stod(row[train_loss]) ==
            doctest::Approx(recs[i]["train/loss"].get<double>()).epsilon(1e-8));
      CHECK(row[eval_loss].empty());
    } else {
      CHECK(std::stod(row[eval_loss]) ==
            doctest::Approx(recs[i]["eval/loss"].get<double>()).epsilon(1e-8));
      CHECK(row[train_loss].empty());
    }
  }

  // Two steps, then resumed to four: the same rows (selected columns: no timing).
  auto sel = r;
  sel["callbacks"] =
      higgs::Json::array({{{"type", "metrics_csv"}, {"metrics", {"train/loss", "eval/loss"}}}});
  sel["output_dir"] = dir.file("sel");
  REQUIRE(run_json(sel) == 0);
  auto part = sel;
  part["output_dir"] = dir.file("part");
  part["trainer"]["max_steps"] = 3;
  part["trainer"]["save_every"] = 2;
  part["trainer"]["keep_last"] = 0;  // keep checkpoint-2
  REQUIRE(run_json(part) == 0);      // rows up to step 3 (+ final eval at 3)
  part["trainer"]["max_steps"] = 4;
  higgs::RunFlags flags;
  flags.resume = dir.file("part/checkpoint-2");
  REQUIRE(run_json(part, flags) == 0);
  CHECK(higgs::test::read_text(dir.file("part/metrics.csv")) ==
        higgs::test::read_text(dir.file("sel/metrics.csv")));
  CHECK(
      higgs::test::read_text(dir.file("sel/metrics.csv")).rfind("step,train/loss,eval/loss\n", 0) ==
      0);
}

TEST_CASE("best-by-eval checkpoints: written when the metric improves, kept, linked as best") {
  higgs::test::TempDir dir("best-ckpt");
  // lr 0: the first evaluation (step 2) stays the best; keep_last 1 keeps it beside the last.
  auto flat = recipe(dir.file("flat"));
  flat["optimizer"]["lr"] = 0.0;
  flat["trainer"]["max_steps"] = 6;
  flat["trainer"]["eval_every"] = 2;
  REQUIRE(run_json(flat) == 0);
  CHECK(fs::exists(dir.file("flat/checkpoint-2/trainer_state.json")));
  CHECK_FALSE(fs::exists(dir.file("flat/checkpoint-4")));  // neither best nor a save step
  CHECK(fs::exists(dir.file("flat/checkpoint-6/trainer_state.json")));
  REQUIRE(fs::is_symlink(dir.file("flat/best")));
  CHECK(fs::read_symlink(dir.file("flat/best")).string() == "checkpoint-2");
  auto st =
      higgs::Json::parse(higgs::test::read_text(dir.file("flat/checkpoint-6/trainer_state.json")));
  CHECK(st["best_checkpoint"] == "checkpoint-2");  // by name: the run directory may move
  CHECK(higgs::Checkpointer(dir.file("flat")).best() == dir.file("flat/checkpoint-2"));

  // Learning: every evaluation improves, the best moves to the end, older ones are pruned.
  auto learn = recipe(dir.file("learn"));
  learn["trainer"]["max_steps"] = 6;
  learn["trainer"]["eval_every"] = 2;
  REQUIRE(run_json(learn) == 0);
  CHECK(fs::read_symlink(dir.file("learn/best")).string() == "checkpoint-6");
  CHECK_FALSE(fs::exists(dir.file("learn/checkpoint-2")));
  CHECK_FALSE(fs::exists(dir.file("learn/checkpoint-4")));

  // save_best false: no extra checkpoints and no link.
  auto off = flat;
  off["output_dir"] = dir.file("off");
  off["trainer"]["save_best"] = false;
  REQUIRE(run_json(off) == 0);
  CHECK_FALSE(fs::exists(dir.file("off/checkpoint-2")));
  CHECK_FALSE(fs::exists(dir.file("off/best")));
}

namespace higgs::callbacks_test {

// A callback that measures something at each evaluation, as listen_samples' with_eval does:
// 0.5 at step 2, 0.9 at step 4, 0.7 from step 6 on.
struct EvalScoreCallback : Callback {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit EvalScoreCallback(const Options&) {}
  Json eval_metrics(TrainState& s) override {
    return {{"eval/score", s.step <= 2 ? 0.5 : s.step <= 4 ? 0.9 : 0.7}};
  }
};

// One whose measurement fails (a reference that vanished, a full disk).
struct EvalFailsCallback : Callback {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit EvalFailsCallback(const Options&) {}
  Json eval_metrics(TrainState&) override { throw std::runtime_error("the scorer broke"); }
};

}  // namespace higgs::callbacks_test

HIGGS_REGISTER(higgs::Callback, higgs::callbacks_test::EvalScoreCallback, "test_eval_score",
               "Test double: an eval metric by step.");
HIGGS_REGISTER(higgs::Callback, higgs::callbacks_test::EvalFailsCallback, "test_eval_fails",
               "Test double: eval_metrics throws.");

TEST_CASE(
    "a callback's eval metrics join the eval record: best_metric and early_stopping follow them") {
  higgs::test::TempDir dir("callback-eval-metrics");
  auto r = recipe(dir.file("run"));
  r["trainer"]["eval_every"] = 2;
  r["trainer"]["best_metric"] = "eval/score";
  r["trainer"]["best_mode"] = "max";
  r["trainer"]["save_best"] = true;
  r["callbacks"] = higgs::Json::array(
      {{{"type", "test_eval_score"}},
       {{"type", "early_stopping"}, {"monitor", "eval/score"}, {"mode", "max"}, {"patience", 1}}});
  REQUIRE(run_json(r) == 0);
  std::map<int64_t, double> scores;
  for (const auto& rec : read_jsonl(dir.file("run/metrics.jsonl")))
    if (rec.contains("eval/score")) {
      CHECK(rec.contains("eval/loss"));  // the same record as the loss evaluation
      scores[rec["step"].get<int64_t>()] = rec["eval/score"].get<double>();
    }
  CHECK(scores == std::map<int64_t, double>{{2, 0.5}, {4, 0.9}, {6, 0.7}});  // stopped at 6
  REQUIRE(fs::is_symlink(dir.file("run/best")));
  CHECK(fs::read_symlink(dir.file("run/best")).string() == "checkpoint-4");
}

TEST_CASE("a callback whose eval metrics fail stops the run with its message and the step") {
  higgs::test::TempDir dir("callback-eval-fails");
  auto r = recipe(dir.file("run"));
  r["trainer"]["eval_every"] = 2;
  r["callbacks"] = higgs::Json::array({{{"type", "test_eval_fails"}}});
  CHECK_THROWS_WITH(run_json(r), doctest::Contains("evaluation at step 2: the scorer broke"));
}
