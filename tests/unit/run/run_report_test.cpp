// The run report's parts: metric series read from metrics.jsonl (a repeated step keeps its last
// value, torn lines and records without a step are skipped), SVG charts with one point per step,
// and the errors for a folder that is no run directory.
#include <torch/torch.h>

#include "framework/run/run_report.h"

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

TEST_CASE("run report: series from metrics.jsonl, SVG charts, not a run directory") {
  higgs::test::TempDir dir("run-report");
  higgs::test::write_text(dir.file("run/metrics.jsonl"),
                          "{\"step\": 1, \"train/loss\": 3.0, \"lr\": 0.1}\n"
                          "{\"step\": 2, \"train/loss\": 2.0, \"lr\": 0.2}\n"
                          "{\"step\": 2, \"eval/loss\": 2.5, \"eval/wer\": 0.9}\n"
                          "{\"no_step\": 1}\n"
                          "{\"step\": 2, \"eval/loss\": 2.4, \"eval/wer\": 0.8}\n"
                          "{\"step\": 3, \"train/lo");  // torn
  const auto series = higgs::read_metric_series(dir.file("run/metrics.jsonl"));
  REQUIRE(series.size() == 4);
  CHECK(series[0].name == "train/loss");
  CHECK(series[0].points == std::vector<std::pair<int64_t, double>>{{1, 3.0}, {2, 2.0}});
  CHECK(series[2].name == "eval/loss");
  CHECK(series[2].points == std::vector<std::pair<int64_t, double>>{{2, 2.4}});  // the last
  const std::string svg = higgs::svg_line_chart("Loss", {series[0]});
  CHECK(svg.find("<svg") == 0);
  CHECK(svg.find("data-name=\"train/loss\"") != std::string::npos);
  // Step 1 at the left edge (x 60) and top (y 28, the highest loss); step 2 at the right
  // (640 - 170 = 470) and bottom (28 + 280 - 28 - 36 = 244).
  CHECK(svg.find("points=\"60,28 470,244 \"") != std::string::npos);
  const std::string page = higgs::render_run_report(dir.file("run"));
  CHECK(page.find("<!DOCTYPE html>") == 0);
  CHECK(page.find("Scores of the listening samples") != std::string::npos);  // eval/wer
  CHECK(page.find("(none: add the listen_samples callback") != std::string::npos);
  CHECK_THROWS_WITH(higgs::render_run_report(dir.path()),
                    doctest::Contains("is not a run directory (no metrics.jsonl"));
}
