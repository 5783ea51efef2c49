// Progress of long work (training, evaluation, pretokenize, data-check, generate, export): a bar
// with rate and ETA drawn in place on a terminal, below the log lines and never on theirs (see
// console.h); on a non-terminal a plain log line every so often; nothing with --quiet. Bars nest:
// the innermost one is drawn, and its parent again once it is done.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace higgs {

class ProgressBar {
 public:
  struct Options {
    std::string label;        // "train", "eval", "pretokenize"
    int64_t total = 0;        // units in all; 0: unknown (no bar, no ETA)
    std::string unit = "it";  // "step", "file", "sample"
    int64_t start = 0;        // units already done (a resumed run)
    bool show = true;         // false: counted (rate), never shown (a recipe's progress_bar)
    double plain_every_seconds = 30;  // non-terminal: a log line this often; 0: never
    bool keep = true;                 // the finished bar stays on screen; false: it is cleared
  };

  explicit ProgressBar(Options options);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// `done` units so far; `suffix` a short text after the ETA ("loss 3.54", "1.2 h of audio").
  void update(int64_t done, const std::string& suffix = {});
  void advance(int64_t n = 1, const std::string& suffix = {});
  /// Draws the bar at its last count for the last time (kept or cleared). Idempotent.
  void finish();

  /// Units per second since this bar was made (not counting `start`).
  double rate() const;
  int64_t done() const { return done_; }
  /// "label [########........] 12/40 step 3.10 step/s ETA 9s suffix", the bar `width` wide.
  std::string text(int width = 24) const;
  /// "label: 12/40 step (30%), 3.10 step/s, ETA 9s, suffix": the non-terminal line.
  std::string plain_text() const;

 private:
  void draw(bool force);
  Options o_;
  int64_t done_;
  std::string suffix_;
  bool drawn_ = false;  // drawn on the terminal (it is the live line or one of its parents)
  bool finished_ = false;
  ProgressBar* parent_ = nullptr;  // the bar that was innermost when this one was made
  std::chrono::steady_clock::time_point start_, last_draw_, last_plain_;
};

/// "1h02m", "3m05s", "12s"; "?" for a negative or non-finite time.
std::string format_duration(double seconds);

}  // namespace higgs
