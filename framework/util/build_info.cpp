#include "framework/util/build_info.h"

#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include "framework/distributed/communicator.h"

#ifndef HIGGS_VERSION
#define HIGGS_VERSION "0.0.0"
#endif
#ifndef HIGGS_GIT_REVISION
#define HIGGS_GIT_REVISION "unknown"
#endif

namespace higgs {

namespace {

// The CUDA hooks of a CPU-only LibTorch throw on version queries; -1 = not known.
template <class F>
long or_unknown(F f) {
  try {
    return f();
  } catch (const std::exception&) {
    return -1;
  }
}

std::string cpu_capability() {
  // at::get_cpu_capability() names the kernels ATen dispatches to (AVX2, AVX512, ...).
  const std::string config = at::get_cpu_capability();
  return config.empty() ? "unknown" : config;
}

}  // namespace

std::string version_string() {
  return std::string(HIGGS_VERSION) + " (git " + HIGGS_GIT_REVISION + ")";
}

std::string cuda_runtime_version() {
  if (!at::globalContext().hasCUDART()) return "";
  // CUDART_VERSION style: 13000 = 13.0.
  const long rt = or_unknown([] { return at::globalContext().versionCUDART(); });
  return rt > 0 ? std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10) : "";
}

nlohmann::json build_info() {
  using nlohmann::json;
  json j;
  j["version"] = HIGGS_VERSION;
  j["git_revision"] = HIGGS_GIT_REVISION;
  const bool compiled = at::globalContext().hasCUDART();
  j["libtorch"] = {{"version", TORCH_VERSION}, {"cuda_build", compiled}};
  json cuda;
  cuda["compiled"] = compiled;
  cuda["runtime_version"] = cuda_runtime_version();
  const long dnn = compiled && at::globalContext().hasCuDNN()
                       ? or_unknown([] { return at::detail::getCUDAHooks().versionCuDNN(); })
                       : -1;
  // cuDNN 9: 91900 = 9.19.0.
  cuda["cudnn_version"] = dnn > 0 ? std::to_string(dnn / 10000) + "." +
                                        std::to_string(dnn % 10000 / 100) + "." +
                                        std::to_string(dnn % 100)
                                  : "";
  cuda["devices"] = cuda_devices();
  cuda["available"] = !cuda["devices"].empty();
  j["cuda"] = cuda;
  j["distributed_backends"] = available_backends();
  j["threads"] = {{"intra_op", at::get_num_threads()},
                  {"inter_op", at::get_num_interop_threads()},
                  {"hardware", std::thread::hardware_concurrency()}};
  j["cpu_capability"] = cpu_capability();
  return j;
}

}  // namespace higgs
