#include "framework/util/device.h"

#include <sys/resource.h>

#include <cstdlib>
#include <stdexcept>

#include <ATen/Context.h>
#include <ATen/DeviceAccelerator.h>

namespace higgs {

bool cuda_available() { return at::hasCUDA() && at::getNumGPUs() > 0; }

int cuda_device_count() { return at::hasCUDA() ? static_cast<int>(at::getNumGPUs()) : 0; }

int local_rank_from_environment() {
  for (const char* name : {"LOCAL_RANK", "SLURM_LOCALID"}) {
    const char* v = std::getenv(name);
    if (!v || !*v) continue;
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (*end == '\0' && n >= 0 && n < 1 << 16) return static_cast<int>(n);
  }
  return 0;
}

c10::Device resolve_device(const std::string& spec, int local_rank, const std::string& what) {
  std::string s = spec;
  if (s == "auto") s = cuda_available() ? "cuda" : "cpu";
  if (s == "cpu") return c10::Device(c10::kCPU);
  c10::Device d(c10::kCPU);
  try {
    d = c10::Device(s);
  } catch (const std::exception&) {
    throw std::invalid_argument(what + " is \"" + spec +
                                "\", which is not a device: use cpu, cuda, cuda:N or auto");
  }
  if (!d.is_cuda())
    throw std::invalid_argument(what + " is \"" + spec + "\": higgs-train runs on cpu or cuda");
  if (!at::hasCUDA())
    throw std::invalid_argument(what + " is \"" + spec +
                                "\" but this LibTorch was built without CUDA (higgs-run info "
                                "tells the build); use cpu, or build against a CUDA LibTorch");
  const int count = cuda_device_count();
  // A plain "cuda" follows LOCAL_RANK, so each torchrun worker on a node gets a GPU of its own.
  const int index = d.has_index() ? d.index() : local_rank;
  if (count == 0)
    throw std::invalid_argument(what + " is \"" + spec +
                                "\" but no CUDA device is visible "
                                "(check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  if (index >= count)
    throw std::invalid_argument(what + " is \"" + spec + "\": cuda:" + std::to_string(index) +
                                (d.has_index() ? "" : " (from LOCAL_RANK)") + " does not exist; " +
                                std::to_string(count) + " CUDA device(s) are visible");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

std::optional<DeviceMemory> device_memory(const c10::Device& device) {
  if (!device.is_cuda()) return std::nullopt;
  const auto index = device.has_index() ? device.index() : at::accelerator::getDeviceIndex();
  const auto stats = at::accelerator::getDeviceStats(index);
  // Index 0 of each stat array is the aggregate over the small and large pools.
  DeviceMemory m;
  m.allocated = stats.allocated_bytes[0].current;
  m.peak_allocated = stats.allocated_bytes[0].peak;
  m.reserved = stats.reserved_bytes[0].current;
  m.peak_reserved = stats.reserved_bytes[0].peak;
  return m;
}

void reset_peak_memory(const c10::Device& device) {
  if (!device.is_cuda()) return;
  at::accelerator::resetPeakStats(device.has_index() ? device.index()
                                                     : at::accelerator::getDeviceIndex());
}

int64_t host_peak_rss_bytes() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<int64_t>(u.ru_maxrss) * 1024;  // kilobytes on Linux
}

}  // namespace higgs
