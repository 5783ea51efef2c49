// What this build of higgs-train is and what it can use: its version and git revision, the
// LibTorch it runs on, CUDA (compiled, runtime, devices), cuDNN, the distributed backends and the
// CPU threads. `higgs-run info` prints it; every run directory records it in meta.json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace higgs {

/// "0.1.0 (git 9e8d258)".
std::string version_string();

/// The CUDA runtime LibTorch was built with ("13.0"); "" for a CPU-only LibTorch. Queries no
/// device.
std::string cuda_runtime_version();

/// {version, git_revision, libtorch: {version, cuda_build}, cuda: {compiled, runtime_version,
///  cudnn_version, available, devices: [{index, name, memory_gib, capability}]},
///  distributed_backends: [...], threads: {intra_op, inter_op, hardware}, cpu_capability}.
nlohmann::json build_info();

/// CUDA devices this process sees: [{index, name, memory_gib, capability}]; empty without CUDA.
/// (Implemented in cuda_devices.cpp, the one file that needs the CUDA runtime's headers.)
nlohmann::json cuda_devices();

}  // namespace higgs
