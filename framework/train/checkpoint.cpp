#include "framework/train/checkpoint.h"

#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <spdlog/spdlog.h>

#include "framework/tensor_io/torch_pickle.h"
#include "framework/util/dir_commit.h"
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
  const std::string dir = (fs::path(run_dir_) / step_dir_name(step)).string();
  write_directory_atomically(dir, fill, "checkpoint");
  return dir;
}

namespace {

bool legacy_complete(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(dir / kManifestFile, ec) && fs::exists(dir / "trainer_state.json", ec);
}

// checkpoint-N -> N; -1 for any other name.
int64_t step_of(const std::string& name) {
  if (name.rfind("checkpoint-", 0) != 0) return -1;
  const std::string num = name.substr(11);
  if (num.empty() || num.size() > 18 || !std::all_of(num.begin(), num.end(), ::isdigit)) return -1;
  return std::stoll(num);
}

}  // namespace

std::optional<std::string> CheckpointStore::verify(const std::string& dir) {
  if (legacy_complete(dir)) return std::nullopt;
  return verify_directory(dir, /*checksums=*/true);
}

std::vector<std::pair<int64_t, std::string>> CheckpointStore::list() const {
  std::vector<std::pair<int64_t, std::string>> out;
  if (!fs::exists(run_dir_)) return out;
  for (const auto& e : fs::directory_iterator(run_dir_)) {
    const int64_t step = step_of(e.path().filename().string());
    if (!e.is_directory() || step < 0) continue;
    if (!legacy_complete(e.path()) && verify_directory(e.path().string(), false)) continue;
    out.emplace_back(step, e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> CheckpointStore::newest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

std::optional<std::string> CheckpointStore::newest_verified(
    const std::function<void(const std::string&, const std::string&)>& skipped) const {
  const auto all = list();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto problem = verify(it->second);
    if (!problem) return it->second;
    if (skipped) skipped(it->second, *problem);
  }
  return std::nullopt;
}

void CheckpointStore::prune(int64_t keep_last, const std::string& protect) {
  if (keep_last <= 0) return;
  auto all = list();
  const fs::path keep = protect.empty() ? fs::path() : fs::path(run_dir_) / fs::path(protect).filename();
  // Keep the newest `keep_last`, and the protected (best) one wherever it is.
  for (int64_t i = 0; i + keep_last < static_cast<int64_t>(all.size()); ++i) {
    if (!keep.empty() && fs::path(all[i].second).filename() == keep.filename()) continue;
    remove_directory_atomically(all[i].second);
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

void CheckpointStore::recover() const {
  if (!fs::exists(run_dir_)) return;
  // The directories some interrupted operation left a .NAME.tmp/.old/.removed copy of.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(run_dir_)) {
    std::string name = e.path().filename().string();
    for (const char* suffix : {".tmp", ".old", ".removed"}) {
      const std::string sfx = suffix;
      if (name.size() > 1 + sfx.size() && name[0] == '.' &&
          name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
        std::string base = name.substr(1, name.size() - 1 - sfx.size());
        if (step_of(base) >= 0 || base == "final") names.push_back(base);
      }
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  // The same rule as list(): a copy is complete when its manifest's sizes agree, or when it was
  // written before manifests existed (a legacy checkpoint renamed aside as .checkpoint-N.old is
  // restored, not removed). A .tmp copy is only ever written with a manifest, so it needs one.
  auto complete = [](const std::string& dir) {
    const bool tmp = fs::path(dir).extension() == ".tmp";
    return (!tmp && legacy_complete(dir)) || !verify_directory(dir, /*checksums=*/false).has_value();
  };
  for (const auto& name : names)
    for (const auto& line : recover_directory((fs::path(run_dir_) / name).string(), complete))
      spdlog::warn("{}: {}", run_dir_, line);
}

}  // namespace higgs
