#include "framework/util/console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/sink.h>

namespace higgs {
namespace {

struct ConsoleState {
  std::mutex mutex;
  ConsoleMode mode;
  std::string* capture = nullptr;  // a test's buffer instead of stderr
  bool line_shown = false;         // a live line is on screen, the cursor at its end
  std::function<std::string()> live;
};

ConsoleState& state() {
  static ConsoleState s;
  return s;
}

constexpr const char* kClearLine = "\r\033[K";

}  // namespace

bool color_allowed(bool terminal, const char* no_color, const char* term) {
  if (!terminal || no_color != nullptr) return false;
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

ConsoleMode console_mode_from_environment(bool quiet) {
  ConsoleMode m;
  m.quiet = quiet;
  m.terminal = isatty(STDERR_FILENO) == 1;
  m.color = color_allowed(m.terminal, std::getenv("NO_COLOR"), std::getenv("TERM"));
  struct winsize ws {};
  if (m.terminal && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    m.columns = ws.ws_col;
  } else if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n > 0) m.columns = n;
  }
  return m;
}

void set_console_mode(const ConsoleMode& mode) {
  auto l = console_detail::lock();
  state().mode = mode;
}

ConsoleMode console_mode() {
  auto l = console_detail::lock();
  return state().mode;
}

std::string error_prefix() { return console_mode().color ? "\033[1;31merror:\033[0m " : "error: "; }

namespace console_detail {

std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(state().mutex); }

void write_locked(const std::string& text) {
  auto& s = state();
  if (s.capture) {
    *s.capture += text;
    return;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;  // stderr closed or full: progress is not worth failing for
    done += static_cast<size_t>(n);
  }
}

void show_line_locked(const std::string& line) {
  auto& s = state();
  // One column short of the width: a full line would wrap on some terminals and the next \r
  // would then return to the wrong line.
  const size_t width = s.mode.columns > 1 ? static_cast<size_t>(s.mode.columns - 1) : 79;
  write_locked(kClearLine + (line.size() > width ? line.substr(0, width) : line));
  s.line_shown = true;
}

void end_line_locked() {
  auto& s = state();
  if (!s.line_shown) return;
  write_locked("\n");
  s.line_shown = false;
}

void clear_line_locked() {
  auto& s = state();
  if (!s.line_shown) return;
  write_locked(kClearLine);
  s.line_shown = false;
}

void set_live_source_locked(std::function<std::string()> source) {
  state().live = std::move(source);
}

}  // namespace console_detail

ConsoleWriterGuard::ConsoleWriterGuard(std::string& out, const ConsoleMode& mode) {
  auto l = console_detail::lock();
  saved_ = state().mode;
  state().mode = mode;
  state().capture = &out;
  state().line_shown = false;
}

ConsoleWriterGuard::~ConsoleWriterGuard() {
  auto l = console_detail::lock();
  state().mode = saved_;
  state().capture = nullptr;
  state().line_shown = false;
}

namespace {

// spdlog's colour sinks write to the stream themselves; this one writes through the console so a
// message and the live bar take turns on the line.
class ConsoleSink final : public spdlog::sinks::sink {
 public:
  explicit ConsoleSink(const std::string& pattern)
      : formatter_(std::make_unique<spdlog::pattern_formatter>(pattern)) {}

  void log(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    auto l = console_detail::lock();
    formatter_->format(msg, buf);
    std::string text(buf.data(), buf.size());
    const auto& s = state();
    if (s.mode.color && msg.color_range_end > msg.color_range_start) {
      const char* code = msg.level >= spdlog::level::err    ? "\033[1;31m"
                         : msg.level == spdlog::level::warn ? "\033[33m"
                         : msg.level == spdlog::level::info ? "\033[32m"
                                                            : "";
      if (*code)
        text = text.substr(0, msg.color_range_start) + code +
               text.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start) +
               "\033[0m" + text.substr(msg.color_range_end);
    }
    const bool redraw = s.line_shown && s.live;
    console_detail::clear_line_locked();
    console_detail::write_locked(text);
    if (redraw) console_detail::show_line_locked(s.live());
  }
  void flush() override {}
  void set_pattern(const std::string& pattern) override {
    auto l = console_detail::lock();
    formatter_ = std::make_unique<spdlog::pattern_formatter>(pattern);
  }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    auto l = console_detail::lock();
    formatter_ = std::move(formatter);
  }

 private:
  std::unique_ptr<spdlog::formatter> formatter_;
};

}  // namespace

std::shared_ptr<spdlog::sinks::sink> make_console_sink(const std::string& pattern) {
  return std::make_shared<ConsoleSink>(pattern);
}

}  // namespace higgs
