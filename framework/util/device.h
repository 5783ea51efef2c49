// Devices as recipes and flags name them ("cpu", "cuda", "cuda:N", "auto"), and what a device has
// used. Written against ATen's device-generic API, so the CUDA paths compile (and are compiled in
// CI) with every LibTorch, CUDA or CPU-only; a CPU-only build answers "no CUDA" at run time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <c10/core/Device.h>

namespace higgs {

/// True when this LibTorch has CUDA and at least one CUDA device is visible.
bool cuda_available();
/// Number of visible CUDA devices (0 without CUDA).
int cuda_device_count();

/// "cpu"; "cuda" = cuda:LOCAL_RANK (the GPU torchrun gives this process; `local_rank` 0 outside
/// torchrun); "cuda:N"; "auto" = "cuda" when available, else "cpu". Throws std::invalid_argument
/// naming `what` (e.g. "model.device") for any other name or a CUDA device this build or machine
/// does not have.
c10::Device resolve_device(const std::string& spec, int local_rank, const std::string& what);

/// LOCAL_RANK (or SLURM_LOCALID) of this process; 0 when neither is set or not a number.
int local_rank_from_environment();

/// Memory a device's caching allocator has handed out, in bytes.
struct DeviceMemory {
  int64_t allocated = 0;       // now
  int64_t peak_allocated = 0;  // most since the last reset_peak_memory
  int64_t reserved = 0;        // held by the allocator (allocated + cached)
  int64_t peak_reserved = 0;
};
/// The allocator's figures for a CUDA device; nullopt for the CPU.
std::optional<DeviceMemory> device_memory(const c10::Device& device);
/// Starts a new peak-memory window on a CUDA device (nothing on the CPU).
void reset_peak_memory(const c10::Device& device);
/// Largest resident set of this process so far (getrusage), in bytes.
int64_t host_peak_rss_bytes();

}  // namespace higgs
