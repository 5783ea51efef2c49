// Shared by the optim tests: runs tests/python/optim_reference.py once (PyTorch's own optimizers
// and schedulers) and turns its JSON into tensors; drives a C++ optimizer through the same steps.
#pragma once

#include <torch/torch.h>

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

#include "framework/config/config.h"
#include "framework/train/optimizer.h"

namespace higgs::test {

inline const Json& optim_reference() {
  static const Json ref = [] {
    std::string cmd =
        std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR + "/tests/python/optim_reference.py";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    if (pclose(pipe) != 0) throw std::runtime_error("failed: " + cmd);
    return Json::parse(out);
  }();
  return ref;
}

/// {"shape": [...], "values": [...]} -> float32 tensor (values are float32 printed as doubles).
inline at::Tensor tensor_from_json(const Json& j) {
  std::vector<int64_t> shape = j.at("shape").get<std::vector<int64_t>>();
  std::vector<double> values = j.at("values").get<std::vector<double>>();
  return torch::tensor(values, torch::kDouble).to(torch::kFloat).reshape(shape);
}

/// Parameters of a reference case, fresh leaves requiring grad, in the script's order.
inline ParameterList reference_params(const Json& c) {
  ParameterList params;
  for (auto it = c.at("init").begin(); it != c.at("init").end(); ++it)
    params.push_back({it.key(), tensor_from_json(it.value()).requires_grad_(true)});
  return params;
}

/// Feeds the case's gradients of steps [from, to) and steps with `scale(step)`.
inline void run_reference_steps(const Json& c, ParameterList& params, Optimizer& opt,
                                const std::function<double(int64_t)>& scale, int64_t from,
                                int64_t to) {
  for (int64_t k = from; k < to; ++k) {
    const Json& grads = c.at("grads").at(k);
    for (auto& p : params) {
      const Json& g = grads.at(p.name);
      p.tensor.mutable_grad() = g.is_null() ? at::Tensor() : tensor_from_json(g);
    }
    opt.step(scale(k));
    opt.zero_grad();
  }
}

}  // namespace higgs::test
