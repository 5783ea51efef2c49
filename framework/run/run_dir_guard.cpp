#include "framework/run/run_dir_guard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "framework/config/diagnostics.h"
#include "framework/train/checkpointer.h"
#include "framework/util/build_info.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

bool is_run_directory(const std::string& dir) {
  std::error_code ec;
  if (fs::is_regular_file(fs::path(dir) / kRunMarkerFile, ec)) return true;
  // Written by a higgs-train from before the marker: adopt it.
  const fs::path meta = fs::path(dir) / "meta.json";
  if (!fs::is_regular_file(meta, ec) ||
      !fs::is_regular_file(fs::path(dir) / kResolvedRecipeFile, ec))
    return false;
  try {
    const auto j = nlohmann::json::parse(read_file(meta.string()));
    if (!j.is_object() || !j.contains("argv") || !j.contains("git_revision") ||
        !j.contains("version"))
      return false;
  } catch (const std::exception&) {
    return false;
  }
  mark_run_directory(dir);
  return true;
}

void mark_run_directory(const std::string& dir) {
  char when[32];
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  write_file_atomic(
      (fs::path(dir) / kRunMarkerFile).string(),
      nlohmann::json{{"higgs_train", version_string()}, {"created", when}}.dump() + "\n");
}

RunDirectoryLock::RunDirectoryLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / kRunLockFile).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RecipeError("cannot open the lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw RecipeError("run directory " + dir + " is in use by another higgs-run (pid " +
                        (holder.empty() ? "unknown" : holder) +
                        "): wait for it to finish or stop it, or choose another --output-dir");
    throw RecipeError("cannot lock " + path + ": " + std::strerror(err));
  }
  // The holder's pid, for the message a second process prints.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
}

RunDirectoryLock::~RunDirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace higgs
