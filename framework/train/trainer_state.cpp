#include "framework/train/trainer_state.h"

#include "framework/tensor_io/finite_check.h"

#include <filesystem>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/core/Generator.h>
#include <torch/torch.h>
#include <spdlog/spdlog.h>

namespace higgs {

Json TrainState::to_json() const {
  return Json{{"step", step},
              {"epoch", epoch},
              {"batch_in_epoch", batch_in_epoch},
              {"bad_steps", bad_steps},
              {"world_size", world_size},
              {"best_value", has_best ? Json(best_value) : Json(nullptr)},
              {"best_checkpoint", best_checkpoint},
              {"callbacks", callback_states},
              {"data_files", data_files}};
}

TrainState TrainState::from_json(const Json& j) {
  TrainState p;
  p.step = j.at("step").get<int64_t>();
  p.epoch = j.at("epoch").get<int64_t>();
  p.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
  p.bad_steps = j.value("bad_steps", int64_t{0});
  p.world_size = j.value("world_size", int64_t{1});
  if (j.contains("best_value") && !j["best_value"].is_null()) {
    p.has_best = true;
    p.best_value = j["best_value"].get<double>();
  }
  // A name inside the run directory; runs written before stored an absolute path, which
  // dangles once the run directory is moved: only its last component is kept.
  p.best_checkpoint = j.value("best_checkpoint", std::string());
  if (!p.best_checkpoint.empty())
    p.best_checkpoint = std::filesystem::path(p.best_checkpoint).filename().string();
  p.callback_states = j.value("callbacks", Json::array());
  p.data_files = j.value("data_files", Json::object());
  return p;
}

TensorMap trainable_state(const ParameterList& params) {
  TensorMap out;
  for (const auto& p : params) out[p.name] = p.tensor.detach();
  return out;
}

void load_trainable_state(const ParameterList& params, const TensorMap& saved,
                          const std::string& source) {
  torch::NoGradGuard no_grad;
  std::string missing;
  tensor_io::NonFiniteTensors non_finite(source + "/trainable.pt");
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

namespace {

at::Tensor state_of(at::Generator gen) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_state_of(at::Generator gen, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

}  // namespace

TensorMap rng_states(const at::Device& device) {
  TensorMap out{{"cpu", state_of(at::detail::getDefaultCPUGenerator())}};
  if (device.is_cuda()) out["cuda"] = state_of(at::globalContext().defaultGenerator(device));
  return out;
}

void set_rng_states(const TensorMap& states, const at::Device& device, const std::string& source) {
  auto cpu = states.find("cpu");
  if (cpu == states.end())
    throw std::runtime_error(source + "/rng.pt has no \"cpu\" generator state");
  set_state_of(at::detail::getDefaultCPUGenerator(), cpu->second);
  auto cuda = states.find("cuda");
  if (device.is_cuda() && cuda != states.end()) {
    set_state_of(at::globalContext().defaultGenerator(device), cuda->second);
  } else if (device.is_cuda() || cuda != states.end()) {
    spdlog::warn("{}: the checkpoint was written on {} and is resumed on {}: CUDA random draws "
                 "(dropout) will not repeat the interrupted run's", source,
                 cuda != states.end() ? "CUDA" : "the CPU", device.str());
  }
}

}  // namespace higgs
