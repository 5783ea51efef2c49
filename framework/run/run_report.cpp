#include "framework/run/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include "framework/util/fs.h"

namespace higgs {
namespace {

namespace fs = std::filesystem;

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string base64(const std::string& bytes) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v =
        (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = uint8_t(bytes[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

// The series whose names pass `keep`, in order.
std::vector<MetricSeries> pick(const std::vector<MetricSeries>& all,
                               const std::function<bool(const std::string&)>& keep) {
  std::vector<MetricSeries> out;
  for (const auto& s : all)
    if (keep(s.name) && !s.points.empty()) out.push_back(s);
  return out;
}

std::string pre_json(const std::string& path) {
  if (!fs::exists(path)) return "<p>(no " + escape(fs::path(path).filename().string()) + ")</p>";
  return "<pre>" + escape(read_file(path)) + "</pre>";
}

}  // namespace

std::vector<MetricSeries> read_metric_series(const std::string& metrics_jsonl) {
  std::vector<MetricSeries> out;
  std::map<std::string, size_t> index;
  std::ifstream in(metrics_jsonl);
  for (std::string line; std::getline(in, line);) {
    Json r;
    try {
      r = Json::parse(line);
    } catch (const std::exception&) {
      continue;  // a torn line (the writer removes them; a copied file may still hold one)
    }
    if (!r.is_object() || !r.contains("step") || !r["step"].is_number_integer()) continue;
    const int64_t step = r["step"].get<int64_t>();
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it.key() == "step" || it.key() == "epoch" || !it.value().is_number()) continue;
      auto [pos, fresh] = index.emplace(it.key(), out.size());
      if (fresh) out.push_back({it.key(), {}});
      auto& points = out[pos->second].points;
      // A step at or before the last one: the final evaluation repeating its step, or a run
      // resumed after a crash redoing steps; the later record wins, as in TensorBoard.
      while (!points.empty() && points.back().first >= step) points.pop_back();
      points.emplace_back(step, it.value().get<double>());
    }
  }
  return out;
}

std::vector<std::pair<int64_t, std::string>> listening_sample_dirs(const std::string& run_dir) {
  std::vector<std::pair<int64_t, std::string>> steps;
  std::error_code ec;  // no samples/ folder: no steps
  for (const auto& e : fs::directory_iterator(fs::path(run_dir) / "samples", ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("step-", 0) != 0) continue;
    try {
      steps.emplace_back(std::stoll(n.substr(5)), e.path().string());
    } catch (const std::exception&) {
    }
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

std::string svg_line_chart(const std::string& title, const std::vector<MetricSeries>& series,
                           int width, int height) {
  const int left = 60, right = 170, top = 28, bottom = 36;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, double(x)), x1 = std::max(x1, double(x));
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << width
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height << "\">"
    << "<title>" << escape(title) << "</title>"
    << "<text x=\"" << left << "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" << escape(title)
    << "</text>";
  if (x0 > x1) {
    o << "<text x=\"" << left << "\" y=\"" << height / 2 << "\">no data</text></svg>";
    return o.str();
  }
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1, y0 -= 1;
  const double pw = width - left - right, ph = height - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * ph; };
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"#999\"/>";
  o << "<text x=\"" << left - 4 << "\" y=\"" << top + 10 << "\" font-size=\"11\" "
    << "text-anchor=\"end\">" << number(y1) << "</text>"
    << "<text x=\"" << left - 4 << "\" y=\"" << top + ph << "\" font-size=\"11\" "
    << "text-anchor=\"end\">" << number(y0) << "</text>"
    << "<text x=\"" << left << "\" y=\"" << height - 12 << "\" font-size=\"11\">step " << number(x0)
    << "</text>"
    << "<text x=\"" << left + pw << "\" y=\"" << height - 12 << "\" font-size=\"11\" "
    << "text-anchor=\"end\">" << number(x1) << "</text>";
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % (sizeof kColors / sizeof kColors[0])];
    o << "<polyline class=\"series\" data-name=\"" << escape(series[i].name)
      << "\" fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\" points=\"";
    for (const auto& [x, y] : series[i].points)
      if (std::isfinite(y)) o << number(px(double(x))) << "," << number(py(y)) << " ";
    o << "\"/>";
    if (series[i].points.size() == 1)  // a single evaluation: a dot, not an invisible line
      o << "<circle cx=\"" << number(px(double(series[i].points[0].first))) << "\" cy=\""
        << number(py(series[i].points[0].second)) << "\" r=\"3\" fill=\"" << color << "\"/>";
    const int ly = top + 12 + 16 * static_cast<int>(i);
    o << "<line x1=\"" << left + pw + 10 << "\" y1=\"" << ly - 4 << "\" x2=\"" << left + pw + 28
      << "\" y2=\"" << ly - 4 << "\" stroke=\"" << color << "\" stroke-width=\"2\"/>"
      << "<text x=\"" << left + pw + 32 << "\" y=\"" << ly << "\" font-size=\"11\">"
      << escape(series[i].name) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string render_run_report(const std::string& run_dir, const RunReportOptions& options) {
  const fs::path dir(run_dir);
  const fs::path metrics = dir / "metrics.jsonl";
  if (!fs::exists(metrics) && !fs::exists(dir / "recipe.resolved.json"))
    throw std::runtime_error(run_dir +
                             " is not a run directory (no metrics.jsonl or "
                             "recipe.resolved.json); give the output_dir of a run");
  const auto all =
      fs::exists(metrics) ? read_metric_series(metrics.string()) : std::vector<MetricSeries>{};
  auto has_prefix = [](const std::string& n, const char* p) { return n.rfind(p, 0) == 0; };
  // eval/wer, not eval/language/en/wer: the groups would crowd the charts (metrics.jsonl has them).
  auto top_level = [](const std::string& n) { return std::count(n.begin(), n.end(), '/') == 1; };
  const std::vector<std::pair<std::string, std::vector<MetricSeries>>> charts = {
      {"Training loss", pick(all,
                             [&](const std::string& n) {
                               return n == "train/loss" || n == "train/text_loss" ||
                                      n == "train/audio_loss";
                             })},
      {"Evaluation loss", pick(all,
                               [&](const std::string& n) {
                                 return n == "eval/loss" || n == "eval/text_loss" ||
                                        n == "eval/audio_loss";
                               })},
      {"Accuracy", pick(all,
                        [&](const std::string& n) {
                          return n == "train/text_acc" || n == "train/audio_acc" ||
                                 n == "eval/text_acc" || n == "eval/audio_acc";
                        })},
      {"Learning rate", pick(all, [](const std::string& n) { return n == "lr"; })},
      {"Scores of the listening samples",
       pick(all,
            [&](const std::string& n) {
              return has_prefix(n, "eval/") && top_level(n) &&
                     n.find("loss") == std::string::npos && n.find("_acc") == std::string::npos &&
                     n.find("dbfs") == std::string::npos &&
                     !(n.size() > 2 && n.compare(n.size() - 2, 2, "_s") == 0);  // seconds elsewhere
            })},
      {"Level of the listening samples (dBFS)", pick(all, [&](const std::string& n) {
         return n.find("dbfs") != std::string::npos && has_prefix(n, "eval/") && top_level(n);
       })}};

  std::ostringstream h;
  const std::string name = fs::absolute(dir).filename().string();
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>higgs-train run " << escape(name) << "</title><style>"
    << "body{font-family:sans-serif;margin:24px;max-width:1400px}"
    << "h2{border-bottom:1px solid #ccc}.charts{display:flex;flex-wrap:wrap;gap:12px}"
    << "table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;"
    << "vertical-align:top;font-size:13px}.problem{color:#b00}"
    << "pre{background:#f6f6f6;padding:8px;max-height:400px;overflow:auto;font-size:12px}"
    << "</style></head><body>\n<h1>Run " << escape(name) << "</h1>\n<p>"
    << escape(fs::absolute(dir).string()) << "</p>\n<h2>Curves</h2>\n<div class=\"charts\">";
  for (const auto& [title, series] : charts)
    if (!series.empty()) h << svg_line_chart(title, series);
  h << "</div>\n<h2>Listening samples</h2>\n";
  const auto steps = listening_sample_dirs(run_dir);
  if (steps.empty()) h << "<p>(none: add the listen_samples callback to the recipe)</p>\n";
  for (const auto& [step, step_dir] : steps) {
    const fs::path sdir(step_dir);
    h << "<h3>Step " << step << "</h3>\n<table><tr><th>sample</th><th>text</th><th>audio</th>"
      << "<th>stop</th><th>quality</th><th>scores</th></tr>\n";
    std::vector<fs::path> reports;
    for (const auto& e : fs::directory_iterator(sdir))
      if (e.path().extension() == ".json" && e.path().filename() != "summary.json")
        reports.push_back(e.path());
    std::sort(reports.begin(), reports.end());
    for (const auto& rp : reports) {
      Json r;
      try {
        r = Json::parse(read_file(rp.string()));
      } catch (const std::exception&) {
        continue;
      }
      h << "<tr><td>" << escape(rp.stem().string()) << "</td><td>"
        << escape(r.value("text", std::string()));
      for (const auto& p : r.value("problems", Json::array()))
        h << "<div class=\"problem\">" << escape(p.get<std::string>()) << "</div>";
      h << "</td><td>";
      const fs::path wav = sdir / (rp.stem().string() + ".wav");
      if (r.value("audio_written", false) && fs::exists(wav)) {
        if (static_cast<int64_t>(fs::file_size(wav)) <= options.max_audio_bytes)
          h << "<audio controls preload=\"none\" src=\"data:audio/wav;base64,"
            << base64(read_file(wav.string())) << "\"></audio>";
        else
          h << escape(wav.string()) << " (too long to embed)";
      } else {
        h << "no audio";
      }
      h << "</td><td>" << escape(r.value("stop", std::string())) << ", "
        << number(r.value("duration_s", 0.0)) << " s</td><td>";
      const Json q = r.value("quality", Json::object());
      for (auto it = q.begin(); it != q.end(); ++it)
        h << escape(it.key()) << " " << number(it.value().get<double>()) << "<br>";
      h << "</td><td>";
      const Json sc = r.value("scores", Json::object());
      for (auto it = sc.begin(); it != sc.end(); ++it)
        if (it.value().is_number())
          h << escape(it.key()) << " " << number(it.value().get<double>()) << "<br>";
      h << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "<h2>Recipe</h2>\n"
    << pre_json((dir / "recipe.resolved.json").string()) << "<h2>Meta</h2>\n"
    << pre_json((dir / "meta.json").string()) << "</body></html>\n";
  return h.str();
}

}  // namespace higgs
