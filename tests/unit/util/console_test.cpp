// The console: colour rules, the progress bar's text, and that a log message and a live bar never
// share a line (the output replayed on a small terminal model: \r, ESC[K and \n).
#include <torch/torch.h>

#include "framework/util/console.h"

#include <chrono>
#include <thread>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include "framework/util/progress_bar.h"

using higgs::ConsoleMode;
using higgs::ConsoleWriterGuard;
using higgs::ProgressBar;

namespace {

// The lines a terminal shows after `out`: \r returns to column 0, ESC[K clears to the end of the
// line, \n starts the next line.
std::vector<std::string> screen(const std::string& out) {
  std::vector<std::string> lines(1);
  size_t col = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (c == '\r') {
      col = 0;
    } else if (c == '\n') {
      lines.emplace_back();
      col = 0;
    } else if (c == '\033' && out.compare(i, 3, "\033[K") == 0) {
      lines.back().resize(std::min(col, lines.back().size()));
      i += 2;
    } else {
      auto& l = lines.back();
      if (col < l.size())
        l[col] = c;
      else
        l.push_back(c);
      ++col;
    }
  }
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

// A logger that writes through the console sink, as setup_logging makes it, while alive.
struct ConsoleLogger {
  std::shared_ptr<spdlog::logger> saved = spdlog::default_logger();
  explicit ConsoleLogger(const std::string& pattern = "%l %v") {
    auto logger =
        std::make_shared<spdlog::logger>("console-test", higgs::make_console_sink(pattern));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~ConsoleLogger() { spdlog::set_default_logger(saved); }
};

ConsoleMode terminal(int columns = 100) {
  ConsoleMode m;
  m.terminal = true;
  m.columns = columns;
  return m;
}

}  // namespace

TEST_CASE("colour only on a terminal, never with NO_COLOR (even empty) or TERM=dumb") {
  CHECK(higgs::color_allowed(true, nullptr, "xterm-256color"));
  CHECK(higgs::color_allowed(true, nullptr, nullptr));
  CHECK_FALSE(higgs::color_allowed(false, nullptr, "xterm"));
  CHECK_FALSE(higgs::color_allowed(true, "", "xterm"));
  CHECK_FALSE(higgs::color_allowed(true, "1", "xterm"));
  CHECK_FALSE(higgs::color_allowed(true, nullptr, "dumb"));
}

TEST_CASE("bar text: fill, percent, count, unit, rate, ETA and the suffix, and durations") {
  std::string out;
  ConsoleWriterGuard guard(out, ConsoleMode{});  // not a terminal: nothing drawn
  ProgressBar bar({"train", 40, "step", 0, true, 0});
  bar.update(10, "loss 3.50");
  const std::string t = bar.text(20);
  CHECK(t.rfind("train [#####...............]  25% 10/40 step ", 0) == 0);
  CHECK(t.find(" ETA ") != std::string::npos);
  CHECK(t.size() > 6);
  CHECK(t.substr(t.size() - 9) == "loss 3.50");
  CHECK(bar.plain_text().rfind("train: 10/40 step (25%), ", 0) == 0);
  CHECK(bar.rate() > 0);
  bar.finish();
  CHECK(bar.text(20).find(" in ") != std::string::npos);  // done: the time taken, no ETA
  CHECK(out.empty());
  CHECK(higgs::format_duration(12.4) == "12s");
  CHECK(higgs::format_duration(185) == "3m05s");
  CHECK(higgs::format_duration(3720) == "1h02m");
  CHECK(higgs::format_duration(-1) == "?");
}

TEST_CASE(
    "a log message while a bar is shown: the bar's line is cleared, the message printed, "
    "the bar drawn again below it") {
  std::string out;
  ConsoleWriterGuard guard(out, terminal());
  ConsoleLogger logger;
  {
    ProgressBar bar({"train", 4, "step", 0, true, 0});
    for (int i = 1; i <= 4; ++i) {
      bar.update(i, "loss " + std::to_string(5 - i));
      spdlog::info("step {}/4 done", i);
      std::this_thread::sleep_for(std::chrono::milliseconds(110));  // past the redraw throttle
    }
    bar.finish();
  }
  const auto lines = screen(out);
  REQUIRE(lines.size() == 5);
  for (int i = 0; i < 4; ++i) CHECK(lines[i] == "info step " + std::to_string(i + 1) + "/4 done");
  // The finished bar stays as the last line, at 100%, and no line holds both.
  CHECK(lines[4].rfind("train [########################] 100% 4/4 step ", 0) == 0);
  for (const auto& l : lines)
    CHECK_FALSE((l.find("info ") != std::string::npos && l.find("[#") != std::string::npos));
  CHECK(out.find("\033[3") == std::string::npos);  // no colour without colour
}

TEST_CASE("nested bars: the inner one is drawn, cleared when done (keep=false), the outer again") {
  std::string out;
  ConsoleWriterGuard guard(out, terminal());
  ProgressBar outer({"train", 10, "step", 0, true, 0});
  outer.update(5);
  {
    ProgressBar inner({"eval", 3, "batch", 0, true, 0, /*keep=*/false});
    inner.update(3);
    inner.finish();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  outer.update(6);
  outer.finish();
  const auto lines = screen(out);
  REQUIRE(lines.size() == 1);  // the eval bar left nothing behind
  CHECK(lines[0].rfind("train [", 0) == 0);
  CHECK(lines[0].find("6/10 step") != std::string::npos);
  CHECK(out.find("eval [########################] 100% 3/3 batch") != std::string::npos);
}

TEST_CASE("a bar line is cut to the terminal's width less one column") {
  std::string out;
  ConsoleWriterGuard guard(out, terminal(30));
  ProgressBar bar({"pretokenize", 100, "file", 0, true, 0});
  bar.update(50, "a long suffix that would wrap the line");
  bar.finish();
  const auto lines = screen(out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].size() == 29);
}

TEST_CASE("not a terminal: plain log lines only (no escapes), and with --quiet nothing") {
  std::string out;
  {
    ConsoleWriterGuard guard(out, ConsoleMode{});
    ConsoleLogger logger("%v");
    ProgressBar bar({"data", 3, "sample", 0, true, /*plain_every_seconds=*/1e-9});
    for (int i = 1; i <= 3; ++i) bar.update(i);
    bar.finish();
  }
  CHECK(out.find('\033') == std::string::npos);
  CHECK(out.find('\r') == std::string::npos);
  CHECK(out.find("data: 1/3 sample (33%), ") != std::string::npos);
  CHECK(out.find("data: 3/3 sample (100%), ") != std::string::npos);
  std::string quiet_out;
  {
    ConsoleMode quiet = terminal();
    quiet.quiet = true;
    ConsoleWriterGuard guard(quiet_out, quiet);
    ConsoleLogger logger("%v");
    ProgressBar bar({"data", 3, "sample", 0, true, 1e-9});
    bar.update(2);
    bar.finish();
    CHECK(bar.rate() > 0);  // counted all the same: the rate is a training metric
  }
  CHECK(quiet_out.empty());
}

TEST_CASE("colours on a colour terminal: warnings yellow, errors bold red, error: prefix") {
  std::string out;
  ConsoleMode m = terminal();
  m.color = true;
  ConsoleWriterGuard guard(out, m);
  ConsoleLogger logger("%^%l%$ %v");
  spdlog::warn("careful");
  spdlog::error("broken");
  CHECK(out.find("\033[33mwarning\033[0m careful\n") != std::string::npos);
  CHECK(out.find("\033[1;31merror\033[0m broken\n") != std::string::npos);
  CHECK(higgs::error_prefix() == "\033[1;31merror:\033[0m ");
  m.color = false;
  higgs::set_console_mode(m);
  CHECK(higgs::error_prefix() == "error: ");
}
