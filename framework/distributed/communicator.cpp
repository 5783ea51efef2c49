#include "framework/distributed/communicator.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace higgs {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

/// The first of `names` that is set, parsed as an integer; `fallback` when none is set.
int env_int(std::initializer_list<const char*> names, int fallback, const char** used = nullptr) {
  for (const char* name : names) {
    const char* v = env(name);
    if (!v) continue;
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 0 || n > 1000000)
      throw std::invalid_argument(std::string("environment variable ") + name + "=\"" + v +
                                  "\" is not a non-negative integer");
    if (used) *used = name;
    return static_cast<int>(n);
  }
  return fallback;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string c10_message(const std::exception& e) {
  if (auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend() const override { return "none"; }
  at::Device device() const override { return at::kCPU; }
  void all_reduce(std::vector<at::Tensor>&, ReduceOp) override {}
  void broadcast(std::vector<at::Tensor>&, int) override {}
};

#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
c10d::ReduceOp to_c10d(ReduceOp op) {
  switch (op) {
    case ReduceOp::Max:
      return c10d::ReduceOp::MAX;
    case ReduceOp::Min:
      return c10d::ReduceOp::MIN;
    default:
      return c10d::ReduceOp::SUM;
  }
}

/// Any c10d backend (ProcessGroupGloo, ProcessGroupNCCL); both have the same collective calls.
template <class PG>
class C10dCommunicator : public Communicator {
  using WorkPtr = decltype(std::declval<PG&>().allreduce(
      std::declval<std::vector<at::Tensor>&>(), std::declval<const c10d::AllreduceOptions&>()));

 public:
  C10dCommunicator(c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<PG> pg, int rank,
                   int world_size, std::string backend, at::Device device)
      : store_(std::move(store)),
        pg_(std::move(pg)),
        rank_(rank),
        world_size_(world_size),
        backend_(std::move(backend)),
        device_(device) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  std::string backend() const override { return backend_; }
  at::Device device() const override { return device_; }

  void all_reduce(std::vector<at::Tensor>& tensors, ReduceOp op) override {
    c10d::AllreduceOptions opts;
    opts.reduceOp = to_c10d(op);
    // One call per tensor: c10d reads a vector of tensors as one input per local device.
    std::vector<std::vector<at::Tensor>> inputs;
    inputs.reserve(tensors.size());  // works keep references to their inputs
    std::vector<WorkPtr> works;
    for (auto& t : tensors) {
      inputs.push_back({t});
      works.push_back(pg_->allreduce(inputs.back(), opts));
    }
    for (auto& w : works) w->wait();
  }

  void broadcast(std::vector<at::Tensor>& tensors, int root) override {
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      pg_->broadcast(one, opts)->wait();
    }
  }

 private:
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<PG> pg_;
  int rank_, world_size_;
  std::string backend_;
  at::Device device_;
};
#endif

}  // namespace

bool Communicator::agree(bool ok) {
  if (world_size() == 1) return ok;
  std::vector<at::Tensor> flag{
      at::full({1}, ok ? 1.0 : 0.0, at::TensorOptions(at::kFloat).device(device()))};
  all_reduce(flag, ReduceOp::Min);
  return flag[0].item<float>() > 0.5f;
}

std::shared_ptr<Communicator> local_communicator() {
  static auto local = std::make_shared<LocalCommunicator>();
  return local;
}

std::vector<std::string> available_backends() {
  std::vector<std::string> out;
#ifdef USE_C10D_GLOO
  out.push_back("gloo");
#endif
#ifdef USE_C10D_NCCL
  out.push_back("nccl");
#endif
  return out;
}

DistributedConfig distributed_config_from_environment() {
  DistributedConfig c;
  const char* rank_var = nullptr;
  const char* world_var = nullptr;
  c.world_size = env_int({"WORLD_SIZE", "SLURM_NTASKS"}, 1, &world_var);
  c.rank = env_int({"RANK", "SLURM_PROCID"}, 0, &rank_var);
  c.local_rank = env_int({"LOCAL_RANK", "SLURM_LOCALID"}, 0);
  if (c.world_size < 1) throw std::invalid_argument(std::string(world_var) + " must be at least 1");
  if (c.world_size > 1 && !rank_var)
    throw std::invalid_argument(std::string(world_var) + "=" + std::to_string(c.world_size) +
                                " is set but RANK is not: set RANK (0.." +
                                std::to_string(c.world_size - 1) +
                                ") for each process, or "
                                "launch with torchrun");
  if (c.rank >= c.world_size)
    throw std::invalid_argument(std::string(rank_var ? rank_var : "RANK") + "=" +
                                std::to_string(c.rank) + " is not below " +
                                (world_var ? world_var : "WORLD_SIZE") + "=" +
                                std::to_string(c.world_size));
  if (const char* a = env("MASTER_ADDR")) {
    c.master_addr = a;
  } else if (c.world_size == 1) {
    c.master_addr = "127.0.0.1";  // a one-process group (HIGGS_DIST_BACKEND set) is local
  } else {
    const char* nodes = env("SLURM_NNODES") ? env("SLURM_NNODES") : env("SLURM_JOB_NUM_NODES");
    if (nodes && std::string(nodes) == "1")
      c.master_addr = "127.0.0.1";  // one Slurm node: rank 0 is on this machine
    else
      throw std::invalid_argument(
          "WORLD_SIZE is " + std::to_string(c.world_size) +
          " but MASTER_ADDR is not set: set MASTER_ADDR to the host of rank 0 (under Slurm: "
          "export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)), "
          "or launch with torchrun");
  }
  c.master_port = env_int({"MASTER_PORT"}, 29500);
  if (c.master_port < 1 || c.master_port > 65535)
    throw std::invalid_argument("MASTER_PORT=" + std::to_string(c.master_port) +
                                " is not a TCP port (1..65535)");
  // torchrun's static rendezvous (its default) hosts the store in the agent of node 0; the
  // workers connect to it as clients under a per-restart prefix, as torch.distributed does.
  if (const char* a = env("TORCHELASTIC_USE_AGENT_STORE"); a && std::string(a) == "True") {
    c.agent_store = true;
    const char* attempt = env("TORCHELASTIC_RESTART_COUNT");
    c.store_prefix = std::string("/worker/attempt_") + (attempt ? attempt : "0");
  }
  if (const char* b = env("HIGGS_DIST_BACKEND")) {
    c.backend = b;
    if (c.backend != "gloo" && c.backend != "nccl")
      throw std::invalid_argument("HIGGS_DIST_BACKEND=\"" + c.backend + "\": use gloo or nccl");
  }
  if (env("HIGGS_DIST_TIMEOUT")) {
    int s = env_int({"HIGGS_DIST_TIMEOUT"}, 1800);
    if (s < 1) throw std::invalid_argument("HIGGS_DIST_TIMEOUT must be at least 1 (seconds)");
    c.timeout = std::chrono::seconds(s);
  }
  return c;
}

std::shared_ptr<Communicator> init_communicator(const DistributedConfig& cfg,
                                                const std::string& device) {
  if (cfg.world_size <= 1 && cfg.backend.empty()) return local_communicator();
  std::string backend = cfg.backend;
  if (backend.empty()) {
    bool cuda = device.rfind("cuda", 0) == 0 || (device == "auto" && at::hasCUDA());
#ifdef USE_C10D_NCCL
    backend = cuda ? "nccl" : "gloo";
#else
    (void)cuda;
    backend = "gloo";
#endif
  }
  auto have = available_backends();
  if (std::find(have.begin(), have.end(), backend) == have.end())
    throw std::runtime_error(
        "WORLD_SIZE is " + std::to_string(cfg.world_size) +
        " but this build of higgs-train has no " + backend + " backend (built with: " +
        (have.empty() ? std::string("none") : have[0]) + (have.size() > 1 ? ", " + have[1] : "") +
        "); rebuild with libgloo-dev installed (CPU) or against a CUDA LibTorch with NCCL");
#if defined(USE_C10D_GLOO) || defined(USE_C10D_NCCL)
  std::string where = cfg.master_addr + ":" + std::to_string(cfg.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(cfg.master_port);
    so.isServer = !cfg.agent_store && cfg.rank == 0;
    so.numWorkers = cfg.world_size;
    so.timeout = cfg.timeout;
    so.multiTenant = true;
    c10::intrusive_ptr<c10d::Store> store =
        c10::make_intrusive<c10d::TCPStore>(cfg.master_addr, so);
    if (!cfg.store_prefix.empty())
      store = c10::make_intrusive<c10d::PrefixStore>(cfg.store_prefix, store);
    spdlog::debug("rank {}/{}: store at {} ({}), backend {}", cfg.rank, cfg.world_size, where,
                  cfg.agent_store ? "torchrun agent" : (so.isServer ? "server" : "client"),
                  backend);
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      if (!at::hasCUDA() || c10::cuda::device_count() <= cfg.local_rank)
        throw std::runtime_error("NCCL needs CUDA device " + std::to_string(cfg.local_rank) +
                                 " (LOCAL_RANK) but " + std::to_string(c10::cuda::device_count()) +
                                 " are visible; use HIGGS_DIST_BACKEND=gloo for CPU training");
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(cfg.local_rank));
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = cfg.timeout;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, cfg.rank, cfg.world_size, opts);
      return std::make_shared<C10dCommunicator<c10d::ProcessGroupNCCL>>(
          store, pg, cfg.rank, cfg.world_size, "nccl",
          at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(cfg.local_rank)));
    }
#endif
#ifdef USE_C10D_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(cfg.timeout);
    const char* ifname = env("GLOO_SOCKET_IFNAME");
    if (ifname) {
      std::string first = ifname;
      first = first.substr(0, first.find(','));
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(first));
    } else if (is_loopback(cfg.master_addr)) {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    opts->threads = 2;
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, cfg.rank, cfg.world_size, opts);
    return std::make_shared<C10dCommunicator<c10d::ProcessGroupGloo>>(
        store, pg, cfg.rank, cfg.world_size, "gloo", at::kCPU);
#endif
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(cfg.rank) + " of " +
                             std::to_string(cfg.world_size) + " could not join the " + backend +
                             " process group at " + where + ": " + c10_message(e) +
                             " (are all ranks running, is MASTER_ADDR reachable and MASTER_PORT "
                             "free on rank 0?)");
  }
#endif
  throw std::logic_error("unreachable: backend " + backend);
}

}  // namespace higgs
