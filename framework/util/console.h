// The terminal: whether stderr is one, colours (NO_COLOR, TERM=dumb), --quiet, and the one writer
// that log lines and the live progress bar share, so they never write over each other.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace higgs {

struct ConsoleMode {
  bool terminal = false;  // stderr is a terminal: bars are drawn in place
  bool color = false;     // warnings and errors are coloured
  bool quiet = false;     // --quiet: no bars, no plain progress lines
  int columns = 80;       // width of the terminal; a bar line is cut to fit
};

/// The mode of this process's stderr: a terminal (isatty), its width (TIOCGWINSZ, else COLUMNS,
/// else 80), colour unless NO_COLOR is set (https://no-color.org) or TERM is "dumb".
ConsoleMode console_mode_from_environment(bool quiet);
/// Colour only on a terminal, never with NO_COLOR set (to any value, even empty) or TERM=dumb.
bool color_allowed(bool terminal, const char* no_color, const char* term);
void set_console_mode(const ConsoleMode& mode);
ConsoleMode console_mode();

/// "error: ", bold red on a colour terminal.
std::string error_prefix();

/// The spdlog sink of the console: a message first clears the live bar's line, is printed with
/// the pattern `pattern`, then the bar is drawn again below it. Warnings yellow, errors bold red
/// when the mode has colour.
std::shared_ptr<spdlog::sinks::sink> make_console_sink(const std::string& pattern);

/// For tests: while alive, console output goes to `out` instead of stderr, with `mode`.
class ConsoleWriterGuard {
 public:
  ConsoleWriterGuard(std::string& out, const ConsoleMode& mode);
  ~ConsoleWriterGuard();
  ConsoleWriterGuard(const ConsoleWriterGuard&) = delete;
  ConsoleWriterGuard& operator=(const ConsoleWriterGuard&) = delete;

 private:
  ConsoleMode saved_;
};

namespace console_detail {
/// Everything below runs with this held.
std::unique_lock<std::mutex> lock();
void write_locked(const std::string& text);
/// Shows `line` as the live line (cut to the terminal's width), replacing what was there.
void show_line_locked(const std::string& line);
/// Ends the live line: it stays on screen and the next output starts below it.
void end_line_locked();
/// Clears the live line, if one is shown (before a log message).
void clear_line_locked();
/// What draws the live line again after a log message (the innermost bar); empty: none.
void set_live_source_locked(std::function<std::string()> source);
}  // namespace console_detail

}  // namespace higgs
