// Callbacks `early_stopping` and `metrics_csv` (kind callback, framework/train/callback.h).
//
//   callbacks: [{ type: 'early_stopping', monitor: 'eval/audio_loss', patience: 3, min_delta: 0.01
//   },
//               { type: 'metrics_csv', path: 'metrics.csv' }]
//
// See docs/callbacks-and-export.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/train/callback.h"
#include "framework/train/trainer_state.h"

namespace higgs {
struct RecipePlan;
class Diagnostics;
}  // namespace higgs

namespace higgs {

class Binder;

/// Stops training when an eval metric has not improved by more than min_delta for `patience`
/// evaluations in a row. Its best value and counter are kept in checkpoints, so a resumed run
/// stops exactly where an uninterrupted one would.
class EarlyStopping : public Callback {
 public:
  struct Options {
    std::string monitor = "eval/loss";
    int64_t patience = 3;
    double min_delta = 0.0;
    std::string mode = "min";
  };
  static void bind(Binder& b, Options& o);
  /// An eval/ monitor without eval_data is a recipe error.
  static void check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                         Diagnostics& diags);
  explicit EarlyStopping(const Options& o);

  /// Warns when evaluation runs only at the end (trainer eval_every 0): it could never stop early.
  void on_train_begin(TrainState& s) override;
  void on_eval_end(TrainState& s) override;
  Json state() const override;
  void load_state(const Json& j) override;

  bool has_best() const { return has_best_; }
  double best() const { return best_; }
  int64_t bad_evals() const { return bad_evals_; }

 private:
  Options o_;
  bool has_best_ = false;
  double best_ = 0.0;
  int64_t bad_evals_ = 0;        // evaluations in a row without improvement
  int64_t last_eval_step_ = -1;  // an evaluation repeated at the same step is not counted twice
};

/// Writes every train-log and eval record to a CSV file (one row per record, columns: step, then
/// every metric in first-seen order, blank where a record lacks it). The file is rewritten
/// atomically on each record; on resume the rows after the checkpoint's step are dropped.
class MetricsCsv : public Callback {
 public:
  struct Options {
    std::string path = "metrics.csv";
    std::vector<std::string> metrics;  // empty: every metric
  };
  static void bind(Binder& b, Options& o);
  /// Only the main rank (args.run) writes the file.
  explicit MetricsCsv(const Options& o, const CallbackArgs& args = {});

  void on_train_begin(TrainState& s) override;
  void on_step_end(TrainState& s) override;
  void on_eval_end(TrainState& s) override;

  /// The full path of the CSV file for a run directory.
  std::string file(const std::string& output_dir) const;

 private:
  void add(TrainState& s, const Json& record);
  void flush(const std::string& output_dir) const;
  Options o_;
  std::vector<std::string> columns_;  // after "step"
  std::vector<std::pair<int64_t, std::map<std::string, std::string>>> rows_;
  int64_t last_train_step_ = -1, last_eval_step_ = -1;
  bool main_ = true;  // only the main process writes the file
};

}  // namespace higgs
