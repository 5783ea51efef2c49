// The CUDA device list of build_info(): device names and memory come from the CUDA runtime, the
// one thing ATen's device-generic API does not give. HIGGS_WITH_CUDA is set by CMake when the
// LibTorch has CUDA (CI builds that way, so this code is compiled there).
#include "framework/util/build_info.h"
#include "framework/util/device.h"

#ifdef HIGGS_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace higgs {

nlohmann::json cuda_devices() {
  nlohmann::json out = nlohmann::json::array();
#ifdef HIGGS_WITH_CUDA
  const int n = cuda_device_count();
  for (int i = 0; i < n; ++i) {
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(i));
    out.push_back({{"index", i},
                   {"name", p->name},
                   {"memory_gib", double(p->totalGlobalMem) / (1024.0 * 1024.0 * 1024.0)},
                   {"capability", std::to_string(p->major) + "." + std::to_string(p->minor)}});
  }
#endif
  return out;
}

}  // namespace higgs
