// SIGINT, SIGTERM and SIGHUP (a closed terminal or ssh session) end training with a checkpoint
// while a StopSignals lives; the previous handlers come back when it ends, by an exception too.
#pragma once

namespace higgs {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  /// The last of those signals received since the guard was made, or 0.
  static int received();

 private:
  void (*old_[3])(int) = {};
};

}  // namespace higgs
