// Collective operations between the processes of a data-parallel run, on PyTorch's c10d (Gloo on
// CPU, NCCL on CUDA builds). Only communicator.cpp includes c10d headers; the trainer sees this.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs {

enum class ReduceOp { Sum, Max, Min };

/// How this process joins a process group: torchrun / Slurm / plain environment variables.
struct DistributedConfig {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr;  // host of the TCPStore server (rank 0, or torchrun's agent)
  int master_port = 29500;
  bool agent_store = false;  // torchrun's static rendezvous: its agent hosts the store
  std::string store_prefix;  // "/worker/attempt_N" under torchrun's agent store
  std::string backend;       // "gloo" or "nccl"; "" picks from the device
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
};

/// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (Slurm's SLURM_PROCID,
/// SLURM_NTASKS, SLURM_LOCALID as fallbacks), torchrun's TORCHELASTIC_* variables,
/// HIGGS_DIST_BACKEND and HIGGS_DIST_TIMEOUT (seconds). Throws std::invalid_argument naming the
/// variable when a value is malformed or inconsistent.
DistributedConfig distributed_config_from_environment();

/// The processes of a run. With world size 1 every collective is a no-op.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// "none" (one process), "gloo" or "nccl".
  virtual std::string backend() const = 0;
  /// Device the collectives run on (CPU for Gloo, this rank's GPU for NCCL).
  virtual at::Device device() const = 0;
  /// Reduces each tensor in place on every rank. Shapes and dtypes must agree across ranks.
  virtual void all_reduce(std::vector<at::Tensor>& tensors, ReduceOp op = ReduceOp::Sum) = 0;
  /// Copies `root`'s tensors into every rank's tensors, in place.
  virtual void broadcast(std::vector<at::Tensor>& tensors, int root = 0) = 0;

  bool is_main() const { return rank() == 0; }
  /// Waits for every rank and returns true when every rank passed `ok`. A rank that fails a step
  /// others wait on (a checkpoint write) passes false, so all ranks stop with an error instead of
  /// the others hanging until the timeout.
  bool agree(bool ok);
};

/// The single-process communicator.
std::shared_ptr<Communicator> local_communicator();

/// Joins the process group of `cfg` (a TCPStore rendezvous, then Gloo or NCCL). world_size 1
/// gives the local communicator without touching the network, unless a backend is named
/// (HIGGS_DIST_BACKEND): then a real one-process group is made, which is how a single machine
/// checks its NCCL or Gloo set-up. `device` is the recipe's device ("cpu", "cuda", "auto"): NCCL
/// is chosen for CUDA when this build has it; NCCL runs on cuda:LOCAL_RANK.
std::shared_ptr<Communicator> init_communicator(const DistributedConfig& cfg,
                                                const std::string& device = "cpu");

/// Which backends this build can use ("gloo", "nccl").
std::vector<std::string> available_backends();

}  // namespace higgs
