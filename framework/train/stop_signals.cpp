#include "framework/train/stop_signals.h"

#include <atomic>
#include <csignal>

namespace higgs {

namespace {

constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
// Written by the handler only: a lock-free atomic is what a signal handler may touch.
std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) { g_signal = sig; }

}  // namespace

StopSignals::StopSignals() {
  g_signal = 0;
  for (int i = 0; i < 3; ++i) old_[i] = std::signal(kSignals[i], on_stop_signal);
}

StopSignals::~StopSignals() {
  for (int i = 0; i < 3; ++i) std::signal(kSignals[i], old_[i]);
}

int StopSignals::received() { return g_signal.load(); }

}  // namespace higgs
