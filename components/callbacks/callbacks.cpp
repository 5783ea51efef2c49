#include "components/callbacks/callbacks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/build_context.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

// ---- early_stopping ----

void EarlyStopping::bind(Binder& b, Options& o) {
  b.opt("monitor", o.monitor,
        "Eval metric to watch, as in metrics.jsonl (eval/loss, eval/audio_loss, eval/text_acc, "
        "...).");
  b.opt("patience", o.patience, "Evaluations in a row without improvement before training stops.")
      .min(1);
  b.opt("min_delta", o.min_delta, "An improvement smaller than this does not count.").min(0.0);
  b.choice("mode", o.mode, {"min", "max"}, "Whether lower (loss) or higher (accuracy) is better.");
}

EarlyStopping::EarlyStopping(const Options& o) : o_(o) {
  if (o_.patience < 1)
    throw std::invalid_argument("callback early_stopping: patience must be >= 1");
}

void EarlyStopping::check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                               Diagnostics& diags) {
  const Json& root = plan.config.root();
  const bool has_eval = root.contains("eval_data") && !root["eval_data"].is_null();
  if (o.monitor.rfind("eval/", 0) == 0 && !has_eval)
    diags.error(join_path(path, "monitor"),
                "early_stopping monitors \"" + o.monitor +
                    "\" but the recipe has no eval_data: add eval_data (and trainer.eval_every)");
}

EarlyStopping::EarlyStopping(const Options& o, BuildContext& ctx) : EarlyStopping(o) {
  auto it = ctx.plan().components.find("trainer");
  if (it != ctx.plan().components.end() && it->second.resolved.value("eval_every", int64_t{1}) == 0)
    spdlog::warn(
        "callback early_stopping: trainer.eval_every is 0, so evaluation runs only at the end "
        "and training never stops early; set trainer.eval_every");
}

void EarlyStopping::on_eval_end(TrainState& s) {
  if (!s.metrics.contains(o_.monitor)) {
    std::vector<std::string> names;
    for (auto it = s.metrics.begin(); it != s.metrics.end(); ++it) names.push_back(it.key());
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::runtime_error("callback early_stopping: the evaluation reported no \"" + o_.monitor +
                             "\"" + suggestion_suffix(o_.monitor, names) +
                             "; it reported: " + list);
  }
  if (s.step == last_eval_step_) return;
  last_eval_step_ = s.step;
  const double v = s.metrics[o_.monitor].get<double>();
  const bool improved =
      !has_best_ || (o_.mode == "min" ? v < best_ - o_.min_delta : v > best_ + o_.min_delta);
  if (improved) {
    has_best_ = true;
    best_ = v;
    bad_evals_ = 0;
    return;
  }
  ++bad_evals_;
  spdlog::info("early_stopping: {} = {:.6g}, no improvement over {:.6g} for {} of {} evaluations",
               o_.monitor, v, best_, bad_evals_, o_.patience);
  if (bad_evals_ >= o_.patience) {
    spdlog::info(
        "early_stopping: stopping at step {} ({} did not improve by more than {} in {} "
        "evaluations)",
        s.step, o_.monitor, o_.min_delta, o_.patience);
    s.stop_requested = true;
  }
}

Json EarlyStopping::state() const {
  return Json{{"monitor", o_.monitor},
              {"best", has_best_ ? Json(best_) : Json(nullptr)},
              {"bad_evals", bad_evals_},
              {"last_eval_step", last_eval_step_}};
}

void EarlyStopping::load_state(const Json& j) {
  if (!j.is_object() || !j.contains("bad_evals"))
    return;  // a checkpoint from another callback list
  if (j.value("monitor", o_.monitor) != o_.monitor)
    spdlog::warn(
        "early_stopping: the checkpoint monitored \"{}\", this run monitors \"{}\"; starting "
        "afresh",
        j.value("monitor", std::string()), o_.monitor);
  else {
    has_best_ = !j["best"].is_null();
    best_ = has_best_ ? j["best"].get<double>() : 0.0;
    bad_evals_ = j["bad_evals"].get<int64_t>();
    last_eval_step_ = j.value("last_eval_step", int64_t{-1});
  }
}

HIGGS_REGISTER(Callback, EarlyStopping, "early_stopping",
               "Stop training when an eval metric stops improving (patience, min_delta, mode).");

// ---- metrics_csv ----

void MetricsCsv::bind(Binder& b, Options& o) {
  b.opt("path", o.path, "CSV file; a relative path is inside the run directory.");
  b.opt("metrics", o.metrics,
        "Columns to write besides step (e.g. [\"train/loss\", \"eval/audio_loss\"]); empty: every "
        "metric.");
}

MetricsCsv::MetricsCsv(const Options& o) : o_(o) {
  if (o_.path.empty()) throw std::invalid_argument("callback metrics_csv: path is empty");
}
MetricsCsv::MetricsCsv(const Options& o, BuildContext& ctx) : MetricsCsv(o) {
  main_ = ctx.placement.is_main();
}

std::string MetricsCsv::file(const std::string& output_dir) const {
  fs::path p(o_.path);
  return p.is_absolute() ? p.string() : (fs::path(output_dir) / p).string();
}

namespace {
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',')
      out.push_back(cur), cur.clear();
    else if (c != '\r')
      cur += c;
  }
  out.push_back(cur);
  return out;
}

std::string format_value(const Json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.9g", v.get<double>());
    return buf;
  }
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
}  // namespace

void MetricsCsv::on_train_begin(TrainState& s) {
  rows_.clear();
  columns_.clear();
  if (!main_) return;
  const std::string path = file(s.output_dir);
  if (s.step == 0 || !fs::exists(path)) return;
  // Resumed: keep the rows up to the checkpoint's step; the steps after it are redone.
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto cells = split_csv_line(line);
    if (header.empty()) {
      header = cells;
      if (header.empty() || header[0] != "step")
        throw std::runtime_error(path +
                                 ": not a metrics_csv file (the first column is not \"step\")");
      columns_.assign(header.begin() + 1, header.end());
      continue;
    }
    int64_t step = std::stoll(cells.at(0));
    if (step > s.step) continue;
    std::map<std::string, std::string> row;
    for (size_t i = 1; i < cells.size() && i < header.size(); ++i)
      if (!cells[i].empty()) row[header[i]] = cells[i];
    rows_.emplace_back(step, std::move(row));
  }
}

void MetricsCsv::add(TrainState& s, const Json& record) {
  if (!main_) return;
  std::map<std::string, std::string> row;
  std::set<std::string> wanted(o_.metrics.begin(), o_.metrics.end());
  if (columns_.empty() && !o_.metrics.empty()) columns_ = o_.metrics;
  for (auto it = record.begin(); it != record.end(); ++it) {
    if (it.key() == "step") continue;
    if (!wanted.empty() && !wanted.count(it.key())) continue;
    if (std::find(columns_.begin(), columns_.end(), it.key()) == columns_.end())
      columns_.push_back(it.key());
    row[it.key()] = format_value(it.value());
  }
  rows_.emplace_back(s.step, std::move(row));
  flush(s.output_dir);
}

void MetricsCsv::flush(const std::string& output_dir) const {
  std::string out = "step";
  for (const auto& c : columns_) out += "," + c;
  out += "\n";
  for (const auto& [step, row] : rows_) {
    out += std::to_string(step);
    for (const auto& c : columns_) {
      auto it = row.find(c);
      out += "," + (it == row.end() ? std::string() : it->second);
    }
    out += "\n";
  }
  const std::string path = file(output_dir);
  fs::create_directories(fs::path(path).parent_path());
  write_file_atomic(path, out);
}

void MetricsCsv::on_step_end(TrainState& s) {
  // The trainer sets s.metrics to a train record (with "step") on its log steps.
  if (!s.metrics.contains("step") || s.metrics["step"].get<int64_t>() != s.step) return;
  if (s.step == last_train_step_) return;
  last_train_step_ = s.step;
  add(s, s.metrics);
}

void MetricsCsv::on_eval_end(TrainState& s) {
  if (s.step == last_eval_step_) return;  // an evaluation repeated at the same step
  last_eval_step_ = s.step;
  add(s, s.metrics);
}

HIGGS_REGISTER(Callback, MetricsCsv, "metrics_csv",
               "Write train and eval metrics to a CSV file in the run directory.");

}  // namespace higgs
