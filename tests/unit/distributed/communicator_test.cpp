#include <torch/torch.h>

#include "framework/distributed/communicator.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "framework/config/diagnostics.h"
#include "framework/distributed/data_parallel.h"
#include "framework/distributed/resume.h"

namespace higgs::communicator_test {

bool have_gloo() {
  auto b = available_backends();
  return std::find(b.begin(), b.end(), "gloo") != b.end();
}

/// A TCP port nobody listens on right now.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

/// Runs `body(comm)` on ranks 0 and 1 of a Gloo group, one thread each; rethrows the first
/// failure of a rank.
void on_two_ranks(const std::function<void(Communicator&)>& body,
                  const DistributedConfig& base = {}) {
  int port = free_port();
  std::exception_ptr errors[2];
  std::thread threads[2];
  for (int r = 0; r < 2; ++r)
    threads[r] = std::thread([&, r] {
      try {
        DistributedConfig c = base;
        c.rank = r;
        c.world_size = 2;
        c.master_addr = "127.0.0.1";
        if (c.master_port == 29500) c.master_port = port;
        c.timeout = std::chrono::seconds(60);
        auto comm = init_communicator(c, "cpu");
        body(*comm);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Sets environment variables for one scope and restores them after.
class EnvGuard {
 public:
  EnvGuard() {
    for (const char* n : kNames) {
      const char* v = std::getenv(n);
      if (v) saved_.emplace_back(n, v);
      unsetenv(n);
    }
  }
  ~EnvGuard() {
    for (const char* n : kNames) unsetenv(n);
    for (const auto& [n, v] : saved_) setenv(n.c_str(), v.c_str(), 1);
  }
  void set(const char* n, const char* v) { setenv(n, v, 1); }

 private:
  static constexpr const char* kNames[] = {"RANK",
                                           "WORLD_SIZE",
                                           "LOCAL_RANK",
                                           "MASTER_ADDR",
                                           "MASTER_PORT",
                                           "SLURM_PROCID",
                                           "SLURM_NTASKS",
                                           "SLURM_LOCALID",
                                           "SLURM_NNODES",
                                           "SLURM_JOB_NUM_NODES",
                                           "TORCHELASTIC_USE_AGENT_STORE",
                                           "TORCHELASTIC_RESTART_COUNT",
                                           "HIGGS_DIST_BACKEND",
                                           "HIGGS_DIST_TIMEOUT"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_CASE("distributed config from torchrun, plain and Slurm environments") {
  {
    EnvGuard env;
    auto c = distributed_config_from_environment();
    CHECK(c.world_size == 1);
    CHECK(c.rank == 0);
    CHECK(init_communicator(c)->backend() == "none");
  }
  {
    EnvGuard env;
    env.set("RANK", "1"), env.set("WORLD_SIZE", "4"), env.set("LOCAL_RANK", "1");
    env.set("MASTER_ADDR", "node7"), env.set("MASTER_PORT", "1234");
    env.set("TORCHELASTIC_USE_AGENT_STORE", "True"), env.set("TORCHELASTIC_RESTART_COUNT", "3");
    env.set("HIGGS_DIST_TIMEOUT", "42");
    auto c = distributed_config_from_environment();
    CHECK(c.rank == 1);
    CHECK(c.world_size == 4);
    CHECK(c.local_rank == 1);
    CHECK(c.master_addr == "node7");
    CHECK(c.master_port == 1234);
    CHECK(c.agent_store);
    CHECK(c.store_prefix == "/worker/attempt_3");
    CHECK((c.timeout == std::chrono::seconds(42)));
  }
  {
    EnvGuard env;  // srun on one node: Slurm's variables, rank 0 on this machine
    env.set("SLURM_PROCID", "1"), env.set("SLURM_NTASKS", "2"), env.set("SLURM_LOCALID", "1");
    env.set("SLURM_NNODES", "1");
    auto c = distributed_config_from_environment();
    CHECK(c.rank == 1);
    CHECK(c.world_size == 2);
    CHECK(c.local_rank == 1);
    CHECK(c.master_addr == "127.0.0.1");
    CHECK(c.master_port == 29500);
    CHECK_FALSE(c.agent_store);
  }
  {
    EnvGuard env;
    env.set("SLURM_PROCID", "0"), env.set("SLURM_NTASKS", "8"), env.set("SLURM_NNODES", "2");
    CHECK_THROWS_WITH(distributed_config_from_environment(),
                      doctest::Contains("MASTER_ADDR is not set"));
  }
  {
    EnvGuard env;
    env.set("WORLD_SIZE", "2"), env.set("MASTER_ADDR", "localhost");
    CHECK_THROWS_WITH(distributed_config_from_environment(), doctest::Contains("RANK is not"));
    env.set("RANK", "2");
    CHECK_THROWS_WITH(distributed_config_from_environment(),
                      doctest::Contains("is not below WORLD_SIZE=2"));
    env.set("RANK", "one");
    CHECK_THROWS_WITH(distributed_config_from_environment(), doctest::Contains("RANK=\"one\""));
    env.set("RANK", "1"), env.set("MASTER_PORT", "70000");
    CHECK_THROWS_WITH(distributed_config_from_environment(), doctest::Contains("not a TCP port"));
    env.set("MASTER_PORT", "29500"), env.set("HIGGS_DIST_BACKEND", "mpi");
    CHECK_THROWS_WITH(distributed_config_from_environment(), doctest::Contains("use gloo or nccl"));
  }
}

TEST_CASE("gradients are summed over ranks in buckets of the parameters' dtypes (bf16 in bf16)") {
  if (!have_gloo()) {
    MESSAGE("skipped: this build has no Gloo backend");
    return;
  }
  // rank r: a (fp32, 5 values) grad (r+1)*[1..5]; b (bf16) grad only on rank 0; e (bf16) grad
  // (r+1)*[0.5, 1.5, -2, 3] on both; c no grad anywhere; d (fp32, 7 values) grad r - 3. Buckets of
  // 16 bytes: a and d have buckets of their own (20 and 28 bytes), b and e share a bf16 one.
  std::vector<at::Tensor> a(2), b(2), c(2), d(2), e(2);
  on_two_ranks([&](Communicator& comm) {
    int r = comm.rank();
    auto pa = torch::zeros({5}, torch::requires_grad());
    pa.mutable_grad() = torch::arange(1, 6, torch::kFloat) * (r + 1);
    auto pb = torch::zeros({2, 2}, torch::dtype(torch::kBFloat16).requires_grad(true));
    if (r == 0)
      pb.mutable_grad() = torch::tensor({0.5, 1.5, -2.0, 3.0}).view({2, 2}).to(torch::kBFloat16);
    auto pe = torch::zeros({4}, torch::dtype(torch::kBFloat16).requires_grad(true));
    pe.mutable_grad() = (torch::tensor({0.5, 1.5, -2.0, 3.0}) * (r + 1)).to(torch::kBFloat16);
    auto pc = torch::zeros({3}, torch::requires_grad());
    auto pd = torch::zeros({7}, torch::requires_grad());
    pd.mutable_grad() = torch::full({7}, double(r - 3));
    ParameterList params{{"a", pa}, {"b", pb}, {"e", pe}, {"c", pc}, {"d", pd}};
    all_reduce_gradients(comm, params, 16);
    a[r] = pa.grad().clone(), b[r] = pb.grad().clone(), c[r] = pc.grad(), d[r] = pd.grad().clone();
    e[r] = pe.grad().clone();
  });
  for (int r = 0; r < 2; ++r) {
    CHECK(torch::equal(a[r], torch::arange(1, 6, torch::kFloat) * 3));
    REQUIRE(b[r].defined());
    CHECK((b[r].scalar_type() == torch::kBFloat16));
    CHECK(torch::equal(b[r].to(torch::kFloat),
                       torch::tensor({0.5f, 1.5f, -2.0f, 3.0f}).view({2, 2})));
    CHECK((e[r].scalar_type() == torch::kBFloat16));
    CHECK(torch::equal(e[r].to(torch::kFloat), torch::tensor({1.5f, 4.5f, -6.0f, 9.0f})));
    CHECK_FALSE(c[r].defined());
    CHECK(torch::equal(d[r], torch::full({7}, -5.0f)));
  }
}

TEST_CASE("window counts, loss totals, broadcast and agreement across ranks") {
  if (!have_gloo()) {
    MESSAGE("skipped: this build has no Gloo backend");
    return;
  }
  struct Out {
    std::map<std::string, int64_t> counts, counts_one_empty;
    bool any = false, any_one_empty = false, any_none = true;
    bool agree_one_false = true, agree_all_true = false;
    std::string mismatch;
    double loss = 0, text_acc = 0;
    at::Tensor weight;
    Json broadcast, empty;
  } out[2];
  on_two_ranks([&](Communicator& comm) {
    int r = comm.rank();
    Out& o = out[r];
    o.counts = r == 0 ? std::map<std::string, int64_t>{{"audio", 3}, {"text", 4}}
                      : std::map<std::string, int64_t>{{"audio", 5}, {"text", 1}};
    o.any = global_window_counts(comm, true, o.counts);
    // Rank 1's window is empty (all its samples were skipped): it takes part with zeros.
    if (r == 0) o.counts_one_empty = {{"audio", 3}, {"text", 4}};
    o.any_one_empty = global_window_counts(comm, r == 0, o.counts_one_empty);
    std::map<std::string, int64_t> none;
    o.any_none = global_window_counts(comm, false, none);
    std::map<std::string, int64_t> odd{{r == 0 ? "text" : "txt", 1}};
    try {
      global_window_counts(comm, true, odd);
    } catch (const std::exception& e) {
      o.mismatch = e.what();
    }
    o.agree_one_false = comm.agree(r == 0);
    o.agree_all_true = comm.agree(true);
    // Loss totals: text sums 2 and 6 over 4 targets each -> 1.0; hits 1 and 3 -> 0.5.
    LossAccumulator acc;
    LossTerm t{"text", "text", torch::tensor(r == 0 ? 2.0 : 6.0), 4, 1.0, r == 0 ? 1 : 3};
    acc.add({t});
    REQUIRE(all_reduce_totals(comm, acc));
    auto m = acc.metrics("train/");
    o.loss = m["train/loss"].get<double>();
    o.text_acc = m["train/text_acc"].get<double>();
    auto w = torch::full({3}, double(r + 10)).to(torch::kBFloat16);
    broadcast_parameters(comm, {{"w", w}});
    o.weight = w;
    // Rank 0's eval metrics (listen_samples measures them there alone) reach every rank.
    o.broadcast = broadcast_json(
        comm, r == 0 ? Json{{"eval/wer", 0.25}, {"eval/note", "ü"}} : Json::object());
    o.empty = broadcast_json(comm, Json::object());
  });
  for (int r = 0; r < 2; ++r) {
    CAPTURE(r);
    CHECK(out[r].any);
    CHECK(out[r].counts == std::map<std::string, int64_t>{{"audio", 8}, {"text", 5}});
    CHECK(out[r].any_one_empty);
    if (r == 0)
      CHECK(out[r].counts_one_empty == std::map<std::string, int64_t>{{"audio", 3}, {"text", 4}});
    CHECK_FALSE(out[r].any_none);
    CHECK(out[r].mismatch.find("different loss terms") != std::string::npos);
    CHECK_FALSE(out[r].agree_one_false);
    CHECK(out[r].agree_all_true);
    CHECK(out[r].loss == doctest::Approx(1.0));
    CHECK(out[r].text_acc == doctest::Approx(0.5));
    CHECK(torch::equal(out[r].weight.to(torch::kFloat), torch::full({3}, 10.0f)));
    CHECK(out[r].broadcast == Json{{"eval/wer", 0.25}, {"eval/note", "ü"}});
    CHECK(out[r].empty == Json::object());
  }
}

TEST_CASE("workers join torchrun's agent store under its restart prefix") {
  if (!have_gloo()) {
    MESSAGE("skipped: this build has no Gloo backend");
    return;
  }
  // What torchrun's static rendezvous does: the agent hosts the TCPStore and the workers connect
  // as clients under /worker/attempt_N.
  int port = free_port();
  c10d::TCPStoreOptions so;
  so.port = static_cast<uint16_t>(port);
  so.isServer = true;
  so.waitWorkers = false;
  c10d::TCPStore agent("127.0.0.1", so);
  DistributedConfig base;
  base.master_port = port;
  base.agent_store = true;
  base.store_prefix = "/worker/attempt_0";
  double sums[2] = {0, 0};
  on_two_ranks(
      [&](Communicator& comm) {
        sums[comm.rank()] = all_reduce_values(comm, {double(comm.rank() + 1)})[0];
      },
      base);
  CHECK(sums[0] == 3.0);
  CHECK(sums[1] == 3.0);
}

TEST_CASE("resuming with another world size: refused, or mapped to the same sample position") {
  TrainState p;
  p.world_size = 1;
  p.epoch = 2;
  p.batch_in_epoch = 6;  // 6 batches of 4 = 24 samples of the epoch
  CHECK_THROWS_WITH_AS(adapt_progress_to_world_size(p, 2, 4, 4, false, "run/checkpoint-6"),
                       doctest::Contains("allow_world_size_change"), RecipeError);
  CHECK(p.batch_in_epoch == 6);
  TrainState same = p;
  adapt_progress_to_world_size(same, 1, 4, 4, false, "x");  // same world size: unchanged
  CHECK(same.batch_in_epoch == 6);
  TrainState q = p;
  adapt_progress_to_world_size(q, 2, 4, 2, true, "x");  // 2 ranks x 2: 24 / 4
  CHECK(q.batch_in_epoch == 6);
  CHECK(q.world_size == 2);
  TrainState r = p;
  adapt_progress_to_world_size(r, 4, 4, 4, true, "x");  // 24 / 16: batch 1, 8 samples again
  CHECK(r.batch_in_epoch == 1);
  CHECK(r.epoch == 2);
}

}  // namespace higgs::communicator_test
