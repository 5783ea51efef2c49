// `higgs-run report RUN`: one self-contained HTML page of a run directory that anyone can open
// (no server, no network, no script): the loss, eval and scorer curves as inline SVG, the
// listening samples of every step with players (WAV embedded as data URIs), their texts,
// quality and problems, and the run's recipe and meta.json.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs {

struct RunReportOptions {
  /// Largest WAV embedded per sample; longer clips are listed without a player.
  int64_t max_audio_bytes = 4 << 20;
};

/// One curve: a metric's values by step.
struct MetricSeries {
  std::string name;
  std::vector<std::pair<int64_t, double>> points;
};

/// The numeric metrics of metrics.jsonl by name, in first-seen order (records without "step" and
/// torn lines are skipped; a step at or before a series' last one replaces the points from it on:
/// a repeated final evaluation, or the steps a resumed run redid).
std::vector<MetricSeries> read_metric_series(const std::string& metrics_jsonl);

/// The listen_samples folders of a run directory (RUN/samples/step-N), sorted by step; none when
/// there is no samples/ folder.
std::vector<std::pair<int64_t, std::string>> listening_sample_dirs(const std::string& run_dir);

/// An SVG line chart of `series` (one colour each, a legend, axes with their ranges).
std::string svg_line_chart(const std::string& title, const std::vector<MetricSeries>& series,
                           int width = 640, int height = 280);

/// The page for run directory `run_dir`. Throws std::runtime_error naming what is missing when it
/// is not a run directory (no metrics.jsonl and no recipe.resolved.json).
std::string render_run_report(const std::string& run_dir, const RunReportOptions& options = {});

}  // namespace higgs
