#include "app/cli/info_command.h"

#include <cstdio>
#include <string>

#include <ATen/Context.h>
#include <torch/version.h>

#include "framework/util/build_info.h"

namespace higgs::cli {

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string join(const nlohmann::json& list) {
  std::string s;
  for (const auto& v : list) s += (s.empty() ? "" : ", ") + v.get<std::string>();
  return s.empty() ? "none" : s;
}

}  // namespace

int print_info(bool json, std::ostream& out) {
  const nlohmann::json j = build_info();
  if (json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  const auto& cuda = j["cuda"];
  out << "higgs-train " << version_string() << "\n";
  out << "LibTorch    " << j["libtorch"]["version"].get<std::string>()
      << (j["libtorch"]["cuda_build"].get<bool>() ? " (CUDA build)" : " (CPU-only build)") << "\n";
  out << "CUDA        compiled " << yes_no(cuda["compiled"].get<bool>());
  if (!cuda["runtime_version"].get<std::string>().empty())
    out << " (runtime " << cuda["runtime_version"].get<std::string>() << ")";
  out << ", available " << yes_no(cuda["available"].get<bool>()) << " (" << cuda["devices"].size()
      << " device" << (cuda["devices"].size() == 1 ? "" : "s") << ")\n";
  for (const auto& d : cuda["devices"]) {
    char mem[32];
    std::snprintf(mem, sizeof(mem), "%.1f", d["memory_gib"].get<double>());
    out << "  cuda:" << d["index"].get<int>() << "    " << d["name"].get<std::string>() << ", "
        << mem << " GiB, compute capability " << d["capability"].get<std::string>() << "\n";
  }
  const std::string cudnn = cuda["cudnn_version"].get<std::string>();
  out << "cuDNN       " << (cudnn.empty() ? "none" : cudnn) << "\n";
  out << "distributed " << join(j["distributed_backends"]) << "\n";
  out << "threads     " << j["threads"]["intra_op"].get<int>() << " intra-op, "
      << j["threads"]["inter_op"].get<int>() << " inter-op, "
      << j["threads"]["hardware"].get<unsigned>() << " hardware threads\n";
  out << "CPU kernels " << j["cpu_capability"].get<std::string>() << "\n";
  return 0;
}

// Only what the build says: no device is queried, no thread pool or process group started.
std::string version_text() {
  return "higgs-run " + version_string() + "\nLibTorch " + TORCH_VERSION + ", " +
         (at::globalContext().hasCUDART() ? "CUDA " + cuda_runtime_version()
                                          : "CPU only (no CUDA)") +
         "\n";
}

}  // namespace higgs::cli
