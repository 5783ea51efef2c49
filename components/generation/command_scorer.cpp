// Scorer `command`: runs a program once per generated sample and reads its metrics, so a WER or
// speaker-similarity model in any language plugs in without C++:
//
//   scorers: [{ type: 'command', command: ['/usr/bin/python3', 'tools/wer.py', '--model', 'base']
//   }]
//
// The program gets one JSON object on standard input,
//   {"wav": PATH, "text": ..., "ref_audio": [...], "ref_text": [...], "sample_rate": 24000,
//    "duration_s": 2.9}
// and prints one JSON object of metrics as the last non-empty line of standard output
// ({"wer": 0.12}). Its standard error goes to the console. A non-zero exit, no JSON object or a
// run past timeout_s fails the scorer for that sample (recorded in the report, generation goes on).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "components/generation/checks.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"

extern char** environ;

namespace higgs::generation {
namespace {

namespace fs = std::filesystem;

// Runs argv with `input` on stdin; returns stdout. Throws on a failed start, a non-zero exit or
// a timeout (the child is killed). posix_spawn, not fork: the trainer may hold gigabytes of
// weights and many threads, which a fork would have to copy the page tables of.
std::string run_program(const std::vector<std::string>& argv, const std::string& input,
                        double timeout_s) {
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error(std::strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    throw std::runtime_error(std::strerror(errno));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);   // the child's stdin and stdout;
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);  // every other pipe end is CLOEXEC
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (spawn_error != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    throw std::runtime_error(std::string("cannot run it: ") + std::strerror(spawn_error));
  }
  // A program that exits without reading stdin must not kill this process with SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  // Writes stdin and reads stdout together, so neither side blocks on a full pipe.
  std::string out;
  size_t written = 0;
  int in_fd = in_pipe[1], out_fd = out_pipe[0];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool timed_out = false;
  while (out_fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    fds[n++] = {out_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, n, static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n > 1 && fds[1].revents) {
      const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
      if (w > 0) written += size_t(w);
      if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        close(in_fd);  // done, or the program does not read its stdin
        in_fd = -1;
      }
    }
    if (fds[0].revents) {
      char buf[4096];
      const ssize_t r = read(out_fd, buf, sizeof buf);
      if (r > 0) {
        out.append(buf, size_t(r));
      } else if (r == 0 || errno != EINTR) {
        close(out_fd);
        out_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGPIPE, &old, nullptr);
  if (timed_out)
    throw std::runtime_error("ran longer than timeout_s = " + std::to_string(timeout_s) +
                             " s and was killed");
  if (WIFSIGNALED(status))
    throw std::runtime_error("killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) == 127 && out.empty())
    throw std::runtime_error("cannot run it (exit status 127: not found or not executable)");
  if (WEXITSTATUS(status) != 0)
    throw std::runtime_error("exited with status " + std::to_string(WEXITSTATUS(status)) +
                             " (its messages are above)");
  return out;
}

class CommandScorer : public GenerationScorer {
 public:
  struct Options {
    std::vector<std::string> command;
    double timeout_s = 600;
  };
  static void bind(Binder& b, Options& o) {
    b.req("command", o.command,
          "Program and arguments, e.g. [\"/usr/bin/python3\", \"wer.py\"]: gets the sample as "
          "JSON on stdin, prints a JSON object of metrics as its last stdout line.");
    b.opt("timeout_s", o.timeout_s, "Seconds one sample may take before the program is killed.")
        .min(0.001);
  }
  explicit CommandScorer(const Options& o) : o_(o) {
    if (o_.command.empty() || o_.command[0].empty())
      throw RecipeError("scorer command: command is empty; give the program and its arguments");
    const std::string& prog = o_.command[0];
    if (prog.find('/') != std::string::npos) {
      if (access(prog.c_str(), X_OK) != 0)
        throw RecipeError("scorer command: " + prog + " is not an executable file");
    } else if (!on_path(prog)) {
      throw RecipeError("scorer command: " + prog +
                        " is not on PATH; give its full path or install it");
    }
  }

  Json score(const ScoredSample& s) override {
    Json request = {
        {"wav", s.wav},
        {"text", s.text},
        {"ref_audio", s.ref_audio},
        {"ref_text", s.ref_text},
        {"sample_rate", s.sample_rate},
        {"duration_s", s.sample_rate > 0 ? double(s.samples.size()) / s.sample_rate : 0.0}};
    std::string out;
    try {
      out = run_program(o_.command, request.dump() + "\n", o_.timeout_s);
    } catch (const std::exception& e) {
      throw std::runtime_error(o_.command[0] + ": " + e.what());
    }
    // The last non-empty line is the answer; earlier lines may be the program's own chatter.
    size_t end = out.find_last_not_of(" \t\r\n");
    if (end == std::string::npos)
      throw std::runtime_error(o_.command[0] +
                               ": printed nothing; it must print a JSON object of metrics");
    const size_t start = out.rfind('\n', end);
    const std::string line = out.substr(start == std::string::npos ? 0 : start + 1,
                                        end + 1 - (start == std::string::npos ? 0 : start + 1));
    Json metrics = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!metrics.is_object())
      throw std::runtime_error(
          o_.command[0] + ": last line of its output is not a JSON object: " + line.substr(0, 200));
    return metrics;
  }

 private:
  static bool on_path(const std::string& prog) {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t colon = p.find(':', pos);
      if (colon == std::string::npos) colon = p.size();
      const std::string dir = p.substr(pos, colon - pos);
      const fs::path cand = fs::path(dir.empty() ? "." : dir) / prog;
      if (access(cand.c_str(), X_OK) == 0 && !fs::is_directory(cand)) return true;
      pos = colon + 1;
    }
    return false;
  }
  Options o_;
};

}  // namespace

HIGGS_REGISTER(GenerationScorer, CommandScorer, "command",
               "Runs a program per generated sample (e.g. a Python ASR or speaker-similarity "
               "script): sample as JSON on stdin, metrics as a JSON object on stdout.");

}  // namespace higgs::generation
