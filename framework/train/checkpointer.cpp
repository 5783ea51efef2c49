#include <torch/torch.h>

#include "framework/train/checkpointer.h"

#include <algorithm>
#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <spdlog/spdlog.h>
#include <torch/serialize.h>

#include "framework/config/diagnostics.h"
#include "framework/config/json_file.h"
#include "framework/tensor_io/finite_check.h"
#include "framework/tensor_io/torch_pickle.h"
#include "framework/train/adapter.h"
#include "framework/train/trainer_state.h"
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

namespace {

constexpr const char* kTrainableFile = "trainable.pt";
constexpr const char* kOptimizerFile = "optimizer.pt";
constexpr const char* kRngFile = "rng.pt";
constexpr const char* kStateFile = "trainer_state.json";

std::string step_dir_name(int64_t step) { return "checkpoint-" + std::to_string(step); }

std::string in_dir(const std::string& dir, const char* file) {
  return (fs::path(dir) / file).string();
}

const char* kDamaged = "the checkpoint is damaged: resume from an older checkpoint-STEP of the run";

// The trainable tensors by name: the weights a checkpoint must hold.
TensorMap trainable_state(const ParameterList& params) {
  TensorMap out;
  for (const auto& p : params) out[p.name] = p.tensor.detach();
  return out;
}

// Copies saved tensors into the parameters; every trainable name must be present and finite.
void load_trainable_state(const ParameterList& params, const TensorMap& saved,
                          const std::string& source) {
  torch::NoGradGuard no_grad;
  std::string missing;
  tensor_io::NonFiniteTensors non_finite(source + "/" + kTrainableFile);
  for (const auto& p : params) {
    auto it = saved.find(p.name);
    if (it == saved.end()) {
      missing += (missing.empty() ? "" : ", ") + p.name;
      continue;
    }
    if (!it->second.sizes().equals(p.tensor.sizes()))
      throw std::runtime_error(source + ": " + p.name + " has shape " +
                               c10::str(it->second.sizes()) + ", the model has " +
                               c10::str(p.tensor.sizes()));
    non_finite.check(p.name, it->second);
    p.tensor.copy_(it->second);
  }
  non_finite.throw_if_any();
  if (!missing.empty())
    throw std::runtime_error(source + ": checkpoint lacks trainable parameters: " + missing +
                             " (was it written by a run with other adapters or freezing?)");
}

at::Tensor state_of(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_state_of(at::Generator gen, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// The states of the generators training draws from (dropout, random init after resume): "cpu",
// and "cuda" for the default generator of `device` when it is a CUDA device.
TensorMap rng_states(const at::Device& device) {
  TensorMap out{{"cpu", state_of(at::detail::getDefaultCPUGenerator())}};
  if (device.is_cuda()) out["cuda"] = state_of(at::globalContext().defaultGenerator(device));
  return out;
}

// Sets them back; a "cuda" state is restored only on a CUDA device (a run resumed on another
// kind of device keeps exact CPU draws, and says so).
void set_rng_states(const TensorMap& states, const at::Device& device, const std::string& source) {
  auto cpu = states.find("cpu");
  if (cpu == states.end())
    throw std::runtime_error(source + "/" + kRngFile + " has no \"cpu\" generator state");
  set_state_of(at::detail::getDefaultCPUGenerator(), cpu->second);
  auto cuda = states.find("cuda");
  if (device.is_cuda() && cuda != states.end()) {
    set_state_of(at::globalContext().defaultGenerator(device), cuda->second);
  } else if (device.is_cuda() || cuda != states.end()) {
    spdlog::warn(
        "{}: the checkpoint was written on {} and is resumed on {}: CUDA random draws "
        "(dropout) will not repeat the interrupted run's",
        source, cuda != states.end() ? "CUDA" : "the CPU", device.str());
  }
}

}  // namespace

std::string adapter_dir(const std::string& dir, size_t index, bool at_root) {
  if (index == 0) return at_root ? dir : dir + "/adapter";
  return dir + "/adapter_" + std::to_string(index);
}

void save_adapters(const std::string& dir, const std::vector<std::shared_ptr<Adapter>>& adapters,
                   bool at_root) {
  for (size_t i = 0; i < adapters.size(); ++i) adapters[i]->save(adapter_dir(dir, i, at_root));
}

bool Checkpointer::is_checkpoint(const std::string& dir) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / kStateFile, ec);
}

std::string Checkpointer::resolve(const std::string& path, const std::string& which,
                                  const std::string& command) {
  if (is_checkpoint(path)) return path;
  if (!fs::is_directory(path))
    throw RecipeError(command + ": " + path +
                      " is neither a run directory nor a checkpoint directory");
  Checkpointer run(path);
  if (which == "best") {
    if (auto b = run.best()) return *b;
    throw RecipeError(command + ": " + path +
                      " has no `best` checkpoint (it is written when the run evaluates with "
                      "trainer.save_best); use checkpoint: \"newest\"");
  }
  if (auto n = run.newest()) return *n;
  throw RecipeError(command + ": " + path +
                    " holds no complete checkpoint-STEP/ directory (has the run saved one yet? "
                    "trainer.save_every, or wait for the end)");
}

std::string Checkpointer::write(const CheckpointContents& c) const {
  return write_files(c.state.step, [&](const std::string& dir) {
    save_tensor_map(in_dir(dir, kTrainableFile), trainable_state(c.trainable));
    save_tensor_map(in_dir(dir, kOptimizerFile), c.optimizer.state());
    const at::Device device =
        c.trainable.empty() ? at::Device(at::kCPU) : c.trainable.front().tensor.device();
    save_tensor_map(in_dir(dir, kRngFile), rng_states(device));
    save_adapters(dir, c.adapters, /*at_root=*/false);
    write_file_atomic(in_dir(dir, kResolvedRecipeFile), c.resolved_recipe.dump(2) + "\n");
    write_file_atomic(in_dir(dir, kStateFile), c.state.to_json().dump(2) + "\n");
  });
}

std::string Checkpointer::write_final(const Model& model,
                                      const std::vector<std::shared_ptr<Adapter>>& adapters) const {
  const std::string final_dir = (fs::path(run_dir_) / "final").string();
  write_directory_atomically(
      final_dir,
      [&](const std::string& dir) {
        if (!adapters.empty())
          save_adapters(dir, adapters, /*at_root=*/true);
        else
          model.save(dir);
      },
      "final");
  return final_dir;
}

Json Checkpointer::read_recipe(const std::string& checkpoint) {
  return read_json_file(in_dir(checkpoint, kResolvedRecipeFile), kDamaged);
}

TrainState Checkpointer::read_state(const std::string& checkpoint) {
  if (!is_checkpoint(checkpoint))
    throw RecipeError(checkpoint + ": not a complete checkpoint (no trainer_state.json)");
  return TrainState::from_json(read_json_file(in_dir(checkpoint, kStateFile), kDamaged));
}

void Checkpointer::restore_training(const std::string& checkpoint, const ParameterList& trainable,
                                    Optimizer& optimizer, const at::Device& device) {
  load_trainable_state(trainable, load_tensor_map(in_dir(checkpoint, kTrainableFile)), checkpoint);
  optimizer.load_state(load_tensor_map(in_dir(checkpoint, kOptimizerFile)));
  set_rng_states(load_tensor_map(in_dir(checkpoint, kRngFile)), device, checkpoint);
}

ParameterList Checkpointer::restore_trainables(
    const std::string& checkpoint, Model& model,
    const std::vector<std::shared_ptr<Adapter>>& adapters) {
  const std::string file = in_dir(checkpoint, kTrainableFile);
  if (!fs::exists(file))
    throw std::runtime_error(file + ": missing (not a higgs-train checkpoint?)");
  const TensorMap saved = load_tensor_map(file);
  std::map<std::string, at::Tensor> params;
  for (const auto& item : model.module().named_parameters(true)) params[item.key()] = item.value();
  for (const auto& a : adapters)
    for (const auto& p : a->parameters()) params.emplace(p.name, p.tensor);
  std::vector<std::string> unknown;
  ParameterList restored;
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : saved) {
    auto it = params.find(name);
    if (it == params.end()) {
      unknown.push_back(name);
      continue;
    }
    if (!it->second.sizes().equals(t.sizes()))
      throw std::runtime_error(file + ": " + name + " has shape " + c10::str(t.sizes()) +
                               ", the model has " + c10::str(it->second.sizes()));
    it->second.copy_(t);
    restored.push_back({name, it->second});
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? ", " : "") + unknown[i];
    throw std::runtime_error(file + ": " + std::to_string(unknown.size()) +
                             " saved tensors are not parameters of the model built from the "
                             "recipe (" +
                             list + "); use the run's own recipe and adapters");
  }
  return restored;
}

std::string Checkpointer::write_files(int64_t step,
                                      const std::function<void(const std::string&)>& fill) const {
  const std::string dir = (fs::path(run_dir_) / step_dir_name(step)).string();
  write_directory_atomically(dir, fill, "checkpoint");
  return dir;
}

namespace {

bool legacy_complete(const fs::path& dir) {
  std::error_code ec;
  return !fs::exists(dir / kManifestFile, ec) && fs::exists(dir / kStateFile, ec);
}

// checkpoint-N -> N; -1 for any other name.
int64_t step_of(const std::string& name) {
  if (name.rfind("checkpoint-", 0) != 0) return -1;
  const std::string num = name.substr(11);
  if (num.empty() || num.size() > 18 || !std::all_of(num.begin(), num.end(), ::isdigit)) return -1;
  return std::stoll(num);
}

}  // namespace

std::optional<std::string> Checkpointer::verify(const std::string& dir) {
  if (legacy_complete(dir)) return std::nullopt;
  return verify_directory(dir, /*checksums=*/true);
}

std::vector<std::pair<int64_t, std::string>> Checkpointer::list() const {
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

std::optional<std::string> Checkpointer::newest() const {
  auto all = list();
  if (all.empty()) return std::nullopt;
  return all.back().second;
}

std::optional<std::string> Checkpointer::newest_verified(
    const std::function<void(const std::string&, const std::string&)>& skipped) const {
  const auto all = list();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto problem = verify(it->second);
    if (!problem) return it->second;
    if (skipped) skipped(it->second, *problem);
  }
  return std::nullopt;
}

void Checkpointer::prune(int64_t keep_last, const std::string& protect) const {
  if (keep_last <= 0) return;
  auto all = list();
  const fs::path keep =
      protect.empty() ? fs::path() : fs::path(run_dir_) / fs::path(protect).filename();
  // Keep the newest `keep_last`, and the protected (best) one wherever it is.
  for (int64_t i = 0; i + keep_last < static_cast<int64_t>(all.size()); ++i) {
    if (!keep.empty() && fs::path(all[i].second).filename() == keep.filename()) continue;
    remove_directory_atomically(all[i].second);
    spdlog::debug("removed old checkpoint {}", all[i].second);
  }
}

void Checkpointer::set_best(const std::string& checkpoint_dir) const {
  // A relative link, so the run directory can be moved; replaced by renaming a new link over it.
  const fs::path link = fs::path(run_dir_) / "best";
  const fs::path tmp = fs::path(run_dir_) / ".best.tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::path(checkpoint_dir).filename(), tmp);
  fs::rename(tmp, link);
  fsync_path(run_dir_);
}

std::optional<std::string> Checkpointer::best() const {
  const fs::path link = fs::path(run_dir_) / "best";
  std::error_code ec;
  if (!fs::is_symlink(link, ec) || !fs::exists(link / kStateFile, ec)) return std::nullopt;
  return (fs::path(run_dir_) / fs::read_symlink(link)).string();
}

void Checkpointer::recover() const {
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
    return (!tmp && legacy_complete(dir)) ||
           !verify_directory(dir, /*checksums=*/false).has_value();
  };
  for (const auto& name : names)
    for (const auto& line : recover_directory((fs::path(run_dir_) / name).string(), complete))
      spdlog::warn("{}: {}", run_dir_, line);
}

}  // namespace higgs
