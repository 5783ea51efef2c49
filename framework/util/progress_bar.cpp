#include "framework/util/progress_bar.h"

#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "framework/util/console.h"

namespace higgs {
namespace {

// The innermost bar of this process (the console lock guards it).
ProgressBar* innermost = nullptr;

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

std::string format_rate(double rate, const std::string& unit) {
  char buf[64];
  if (rate >= 100 || rate == 0)
    std::snprintf(buf, sizeof(buf), "%.0f %s/s", rate, unit.c_str());
  else if (rate >= 1)
    std::snprintf(buf, sizeof(buf), "%.2f %s/s", rate, unit.c_str());
  else if (rate > 0)
    std::snprintf(buf, sizeof(buf), "%.1f s/%s", 1.0 / rate, unit.c_str());
  else
    std::snprintf(buf, sizeof(buf), "? %s/s", unit.c_str());
  return buf;
}

}  // namespace

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const auto t = static_cast<long long>(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", t / 3600, t % 3600 / 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof(buf), "%llds", t);
  return buf;
}

ProgressBar::ProgressBar(Options options)
    : o_(std::move(options)),
      done_(o_.start),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - kRedrawInterval),
      last_plain_(start_) {
  const ConsoleMode mode = console_mode();
  if (mode.quiet) o_.show = false;
  if (!mode.terminal) {
    if (o_.show && o_.plain_every_seconds <= 0) o_.show = false;
    return;  // plain lines only: not a live line
  }
  if (o_.show) {
    auto l = console_detail::lock();
    parent_ = innermost;
    innermost = this;
    console_detail::set_live_source_locked([this] { return text(); });
  }
}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::rate() const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? static_cast<double>(done_ - o_.start) / elapsed : 0.0;
}

std::string ProgressBar::text(int width) const {
  std::string t = o_.label;
  if (o_.total > 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(done_) / static_cast<double>(o_.total));
    const int filled = static_cast<int>(width * fraction);
    t += " [" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%3d%% ", static_cast<int>(100 * fraction));
    t += pct + std::to_string(done_) + "/" + std::to_string(o_.total);
  } else {
    t += " " + std::to_string(done_);
  }
  const double r = rate();
  t += " " + o_.unit + " " + format_rate(r, o_.unit);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (finished_ || o_.total <= 0)
    t += " in " + format_duration(elapsed);
  else
    t += " ETA " + format_duration(r > 0 ? static_cast<double>(o_.total - done_) / r : -1);
  if (!suffix_.empty()) t += " " + suffix_;
  return t;
}

std::string ProgressBar::plain_text() const {
  std::string t = o_.label + ": " + std::to_string(done_);
  if (o_.total > 0) {
    char pct[16];
    std::snprintf(
        pct, sizeof(pct), " (%d%%)",
        static_cast<int>(100.0 * static_cast<double>(done_) / static_cast<double>(o_.total)));
    t += "/" + std::to_string(o_.total) + " " + o_.unit + pct;
  } else {
    t += " " + o_.unit;
  }
  const double r = rate();
  t += ", " + format_rate(r, o_.unit);
  if (!finished_ && o_.total > 0)
    t += ", ETA " + format_duration(r > 0 ? static_cast<double>(o_.total - done_) / r : -1);
  if (!suffix_.empty()) t += ", " + suffix_;
  return t;
}

void ProgressBar::update(int64_t done, const std::string& suffix) {
  {
    auto l = console_detail::lock();
    done_ = done;
    suffix_ = suffix;
  }
  draw(false);
}

void ProgressBar::advance(int64_t n, const std::string& suffix) { update(done_ + n, suffix); }

void ProgressBar::draw(bool force) {
  if (!o_.show || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!console_mode().terminal) {
    if (std::chrono::duration<double>(now - last_plain_).count() < o_.plain_every_seconds) return;
    last_plain_ = now;
    spdlog::info("{}", plain_text());  // outside the console lock: the sink takes it
    return;
  }
  if (!force && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  auto l = console_detail::lock();
  if (innermost != this) return;  // a nested bar is shown; this one is drawn again after it
  console_detail::show_line_locked(text());
  drawn_ = true;
}

void ProgressBar::finish() {
  if (finished_) return;
  if (!o_.show) {
    finished_ = true;
    return;
  }
  if (!console_mode().terminal) {
    finished_ = true;
    // Long work ends with its totals; work that took less than one period says nothing.
    if (std::chrono::steady_clock::now() - start_ >=
        std::chrono::duration<double>(o_.plain_every_seconds))
      spdlog::info("{}", plain_text());
    return;
  }
  auto l = console_detail::lock();
  finished_ = true;
  // Bars end innermost first; one that ends under a live inner bar leaves the console to it.
  if (innermost != this) return;
  console_detail::show_line_locked(text());
  if (o_.keep)
    console_detail::end_line_locked();
  else
    console_detail::clear_line_locked();
  innermost = parent_;
  ProgressBar* parent = parent_;
  console_detail::set_live_source_locked(
      parent ? std::function<std::string()>([parent] { return parent->text(); })
             : std::function<std::string()>());
  if (parent && parent->drawn_) console_detail::show_line_locked(parent->text());
}

}  // namespace higgs
