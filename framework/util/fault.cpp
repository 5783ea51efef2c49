#include "framework/util/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>

namespace higgs {

int fault_point(const char* point, const std::string& path) {
  // Read on every call (points are reached a few times per checkpoint), so a test can set the
  // variable in a child process at any time.
  const char* env = std::getenv("HIGGS_FAULT_INJECT");
  if (!env || !*env) return 0;
  std::string spec = env, action = "kill";
  long nth = 1;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    action = spec.substr(colon + 1);
    spec.resize(colon);
  }
  if (auto at = spec.find('@'); at != std::string::npos) {
    nth = std::atol(spec.c_str() + at + 1);
    spec.resize(at);
  }
  std::string want_file;
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    want_file = spec.substr(slash + 1);
    spec.resize(slash);
  }
  if (spec != point) return 0;
  if (!want_file.empty()) {
    auto cut = path.find_last_of('/');
    if ((cut == std::string::npos ? path : path.substr(cut + 1)) != want_file) return 0;
  }
  static std::mutex mu;
  static std::map<std::string, long> hits;  // per spec: a test may set several in turn
  {
    std::lock_guard<std::mutex> lock(mu);
    if (++hits[env] != nth) return 0;
  }
  if (action == "enospc") return ENOSPC;
  ::kill(::getpid(), SIGKILL);
  ::pause();
  return 0;
}

}  // namespace higgs
