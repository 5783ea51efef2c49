#include "framework/config/jsonnet_eval.h"

extern "C" {
#include <fcntl.h>
#include <libjsonnet.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
}

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "framework/config/diagnostics.h"

namespace fs = std::filesystem;

namespace higgs {

namespace {

struct ImportRules {
  JsonnetVm* vm = nullptr;
  std::vector<fs::path> search;  // import dirs, in order
  std::vector<fs::path> roots;   // canonical folders imports may come from
  std::string refused;           // the first refused import, for the error message
};

bool inside(const fs::path& p, const fs::path& root) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *q != *r) return false;
  return true;
}

char* copy_out(JsonnetVm* vm, const std::string& s) {
  char* out = jsonnet_realloc(vm, nullptr, s.size() + 1);
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

// Jsonnet's import callback: the first existing candidate (the importing file's folder, then the
// import dirs), accepted only when its real path lies in one of the roots.
extern "C" char* import_file(void* ctx, const char* base, const char* rel, char** found_here,
                             int* success) {
  auto* rules = static_cast<ImportRules*>(ctx);
  std::vector<fs::path> candidates;
  const fs::path r(rel);
  if (r.is_absolute()) {
    candidates.push_back(r);
  } else {
    candidates.push_back(fs::path(base) / r);
    for (const auto& d : rules->search) candidates.push_back(d / r);
  }
  for (const auto& c : candidates) {
    std::error_code ec;
    if (!fs::is_regular_file(c, ec)) continue;
    const fs::path real = fs::canonical(c, ec);
    if (ec) continue;
    bool allowed = false;
    for (const auto& root : rules->roots) allowed = allowed || inside(real, root);
    if (!allowed) {
      if (rules->refused.empty()) rules->refused = std::string(rel) + " (" + real.string() + ")";
      *success = 0;
      return copy_out(rules->vm, "import \"" + std::string(rel) + "\" resolves to " +
                                     real.string() + ", outside the folders a recipe may read");
    }
    std::ifstream in(real, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    *found_here = copy_out(rules->vm, c.string());
    *success = 1;
    return copy_out(rules->vm, ss.str());
  }
  *success = 0;
  return copy_out(rules->vm,
                  "no such file in the importing file's folder or the import paths (--jpath, "
                  "HIGGS_JSONNET_PATH, the shipped recipes)");
}

}  // namespace

namespace {

std::string evaluate_here(const std::string& path, const JsonnetInputs& in) {
  std::unique_ptr<JsonnetVm, void (*)(JsonnetVm*)> vm(jsonnet_make(), &jsonnet_destroy);
  if (!vm) throw RecipeError("could not initialise the Jsonnet VM");
  ImportRules rules;
  rules.vm = vm.get();
  std::error_code ec;
  const fs::path recipe_dir = fs::canonical(fs::absolute(path).parent_path(), ec);
  if (!ec) rules.roots.push_back(recipe_dir);
  for (const auto& d : in.import_dirs) {
    rules.search.emplace_back(d);
    const fs::path c = fs::canonical(d, ec);
    if (!ec) rules.roots.push_back(c);
  }
  jsonnet_import_callback(vm.get(), &import_file, &rules);
  for (const auto& [k, v] : in.ext_str) jsonnet_ext_var(vm.get(), k.c_str(), v.c_str());
  for (const auto& [k, v] : in.ext_code) jsonnet_ext_code(vm.get(), k.c_str(), v.c_str());
  for (const auto& [k, v] : in.tla_str) jsonnet_tla_var(vm.get(), k.c_str(), v.c_str());
  for (const auto& [k, v] : in.tla_code) jsonnet_tla_code(vm.get(), k.c_str(), v.c_str());
  int error = 0;
  char* out = jsonnet_evaluate_file(vm.get(), path.c_str(), &error);
  std::string text = out ? out : "";
  if (out) jsonnet_realloc(vm.get(), out, 0);
  if (!rules.refused.empty()) {
    std::string allowed;
    for (const auto& r : rules.roots) allowed += (allowed.empty() ? "" : ", ") + r.string() + "/";
    throw RecipeError(path + ": import " + rules.refused +
                      " is outside the folders a recipe may read (" + allowed +
                      "): put the file next to the recipe, or add its folder with --jpath");
  }
  if (error) {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    throw RecipeError(path + ": Jsonnet evaluation failed:\n" + text);
  }
  return text;
}

}  // namespace

namespace {

// The child may use this much address space beyond what it inherits: far more than any recipe
// needs, and it keeps a runaway recipe from pushing the machine into swap or the OOM killer.
constexpr uint64_t kEvaluationMemory = 8ull << 30;

void limit_memory() {
  uint64_t pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  if (pages == 0) return;
  const rlim_t limit = static_cast<rlim_t>(pages * ::sysconf(_SC_PAGESIZE) + kEvaluationMemory);
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_AS, &rl) == 0 && (rl.rlim_max == RLIM_INFINITY || limit < rl.rlim_max)) {
    rl.rlim_cur = limit;
    ::setrlimit(RLIMIT_AS, &rl);
  }
}

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

std::string evaluate_jsonnet_recipe(const std::string& path, const JsonnetInputs& in) {
  // libjsonnet answers an allocation failure with abort() (its C API catches std::bad_alloc,
  // prints "FATAL ERROR" and aborts), so a recipe such as std.makeArray(1e15, ...) would kill
  // higgs-run with SIGABRT. The evaluation runs in a forked child with a memory limit instead; the
  // parent reads the JSON (or the error) from a pipe and reports a crash as a recipe error.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return evaluate_here(path, in);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return evaluate_here(path, in);
  }
  if (pid == 0) {
    ::close(fds[0]);
    limit_memory();
    char status = 0;
    std::string text;
    try {
      text = evaluate_here(path, in);
    } catch (const std::exception& e) {
      status = 1;
      text = e.what();
    }
    const bool ok = write_all(fds[1], &status, 1) && write_all(fds[1], text.data(), text.size());
    ::_exit(ok ? 0 : 3);  // no atexit handlers or static destructors in the child
  }
  ::close(fds[1]);
  std::string reply;
  char buf[1 << 16];
  while (true) {
    const ssize_t r = ::read(fds[0], buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    reply.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || reply.empty()) {
    const std::string how = WIFSIGNALED(st)
                                ? "was killed by signal " + std::to_string(WTERMSIG(st)) +
                                      (WTERMSIG(st) == SIGABRT ? " (an allocation failed)" : "")
                                : "failed";
    throw RecipeError(path + ": Jsonnet evaluation " + how +
                      ": the recipe asks for more memory than any recipe needs (a std.makeArray, "
                      "std.repeat or recursion far too large?); check its computed sizes");
  }
  if (reply[0] != 0) throw RecipeError(reply.substr(1));
  return reply.substr(1);
}

}  // namespace higgs
