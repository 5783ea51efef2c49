#include "framework/train/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "framework/tensor_io/torch_pickle.h"
#include "framework/util/fault.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

void save_tensor_map(const std::string& path, const TensorMap& tensors) {
  const std::vector<char> bytes = tensor_io::torch_pickle_bytes(tensors);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

TensorMap load_tensor_map(const std::string& path) {
  const std::string bytes = read_file(path);
  return tensor_io::read_torch_pickle(std::vector<char>(bytes.begin(), bytes.end()), path);
}

static std::string step_dir_name(int64_t step) { return "checkpoint-" + std::to_string(step); }

std::string CheckpointStore::write(int64_t step,
                                   const std::function<void(const std::string&)>& fill) {
  std::string final_dir = (fs::path(run_dir_) / step_dir_name(step)).string();
  std::string tmp = (fs::path(run_dir_) / ("." + step_dir_name(step) + ".tmp")).string();
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    fill(tmp);
    for (const auto& e : fs::directory_iterator(tmp))
      if (e.is_regular_file()) fsync_path(e.path().string());
    fsync_path(tmp);
    fault_point("checkpoint.before_rename");  // tests: SIGKILL here (docs/reliability.md)
    // An existing checkpoint of the same step (a resumed run redoing it) is replaced.
    if (fs::exists(final_dir)) fs::remove_all(final_dir);
    fs::rename(tmp, final_dir);
    fsync_path(run_dir_);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return final_dir;
}

std::vector<std::pair<int64_t, std::string>> CheckpointStore::list() const {
  std::vector<std::pair<int64_t, std::string>> out;
  if (!fs::exists(run_dir_)) return out;
  for (const auto& e : fs::directory_iterator(run_dir_)) {
    std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("checkpoint-", 0) != 0) continue;
    std::string num = name.substr(11);
    if (num.empty() || !std::all_of(num.begin(), num.end(), ::isdigit)) continue;
    if (!fs::exists(e.path() / "trainer_state.json")) continue;
    out.emplace_back(std::stoll(num), e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> CheckpointStore::newest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

void CheckpointStore::prune(int64_t keep_last, const std::string& protect) {
  if (keep_last <= 0) return;
  auto all = list();
  // Keep the newest `keep_last`, and the protected (best) one wherever it is.
  for (int64_t i = 0; i + keep_last < static_cast<int64_t>(all.size()); ++i) {
    if (!protect.empty() && fs::exists(protect) && fs::equivalent(all[i].second, protect)) continue;
    fs::remove_all(all[i].second);
    spdlog::debug("removed old checkpoint {}", all[i].second);
  }
}

void CheckpointStore::set_best(const std::string& checkpoint_dir) const {
  // A relative link, so the run directory can be moved; replaced by renaming a new link over it.
  const fs::path link = fs::path(run_dir_) / "best";
  const fs::path tmp = fs::path(run_dir_) / ".best.tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path(checkpoint_dir).filename(), tmp);
  fs::rename(tmp, link);
  fsync_path(run_dir_);
}

std::optional<std::string> CheckpointStore::best() const {
  const fs::path link = fs::path(run_dir_) / "best";
  std::error_code ec;
  if (!fs::is_symlink(link, ec) || !fs::exists(link / "trainer_state.json", ec)) return std::nullopt;
  return (fs::path(run_dir_) / fs::read_symlink(link)).string();
}

void CheckpointStore::remove_partial() const {
  if (!fs::exists(run_dir_)) return;
  for (const auto& e : fs::directory_iterator(run_dir_)) {
    std::string name = e.path().filename().string();
    if (name.rfind(".checkpoint-", 0) == 0) {
      spdlog::warn("removing incomplete checkpoint {} left by an interrupted write", name);
      fs::remove_all(e.path());
    }
  }
}

}  // namespace higgs
