// Callback `metrics_csv` (declared in callbacks.h): train and eval metrics as a CSV file in the
// run directory, rewritten consistently after --resume.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "components/callbacks/callbacks.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

void MetricsCsv::bind(Binder& b, Options& o) {
  b.opt("path", o.path, "CSV file; a relative path is inside the run directory.");
  b.opt("metrics", o.metrics,
        "Columns to write besides step (e.g. [\"train/loss\", \"eval/audio_loss\"]); empty: every "
        "metric.");
}

MetricsCsv::MetricsCsv(const Options& o, const CallbackArgs& args)
    : o_(o), main_(args.run.placement.is_main()) {
  if (o_.path.empty()) throw std::invalid_argument("callback metrics_csv: path is empty");
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
