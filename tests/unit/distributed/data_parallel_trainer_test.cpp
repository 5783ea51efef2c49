#include <torch/torch.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <doctest/doctest.h>
#include <netinet/in.h>

#include "framework/config/diagnostics.h"
#include "framework/distributed/communicator.h"
#include "framework/run/runner.h"
#include "tests/support/test_support.h"
#include "tests/unit/train/trainer_doubles.h"

// The trainer's test doubles (test_linear, test_synthetic, test_stack, test_sgd) are registered
// in tests/unit/train/trainer_test.cpp, in the same test binary.

namespace fs = std::filesystem;

namespace higgs::dp_trainer_test {

using test::final_weight;
using test::read_jsonl;
using test::run_json;

/// 32 samples whose second target is missing on every third sample, so target counts differ
/// between ranks and batches: the loss must be normalised by the global count to match.
Json recipe(const std::string& out, int64_t batch_size) {
  return test::linear_recipe(out,
                             {{"max_steps", 6},
                              {"batch_size", batch_size},
                              {"grad_accum_steps", 2},
                              {"log_every", 1},
                              {"save_every", 3},
                              {"keep_last", 0},
                              {"num_workers", 1}},
                             /*seed=*/11, /*train_size=*/32, /*eval_size=*/7);
}

/// A TCP port nobody listens on right now.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One rank of the two-process run below; skipped unless that test starts it.
TEST_CASE("data parallel trainer worker (started by the test below)" * doctest::skip()) {
  const char* out = std::getenv("HIGGS_DP_TEST_OUT");
  REQUIRE(out);
  RunFlags flags;
  if (const char* r = std::getenv("HIGGS_DP_TEST_RESUME")) flags.resume = r;
  REQUIRE(run_json(recipe(out, 2), flags) == 0);
}

/// Runs the worker test case in 2 processes of this test binary, launched through environment
/// variables as a plain (non-torchrun) launcher would. Returns both outputs.
test::CommandResult run_two_ranks(const std::string& out, const std::string& extra_env = "") {
  std::string self = fs::read_symlink("/proc/self/exe").string();
  int port = free_port();
  std::string cmd;
  for (int r = 0; r < 2; ++r) {
    cmd += "RANK=" + std::to_string(r) + " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(r) +
           " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) +
           " HIGGS_DIST_TIMEOUT=60 OMP_NUM_THREADS=1 HIGGS_DP_TEST_OUT=" + test::shell_quote(out) +
           " " + extra_env + " " + test::shell_quote(self) +
           " --test-case='data parallel trainer worker*' --no-skip=true > " +
           test::shell_quote(out + ".rank" + std::to_string(r) + ".log") + " 2>&1";
    cmd += r == 0 ? " & p0=$!; " : "; e1=$?; wait $p0; e0=$?; ";
  }
  cmd += "cat " + test::shell_quote(out + ".rank0.log") + " " +
         test::shell_quote(out + ".rank1.log") + "; exit $((e0 + e1))";
  return test::run_command(cmd);
}

TEST_CASE("2 processes x batch b train the same weights as 1 process x batch 2b") {
  auto backends = available_backends();
  if (std::find(backends.begin(), backends.end(), "gloo") == backends.end()) {
    MESSAGE("skipped: this build has no Gloo backend");
    return;
  }
  test::TempDir dir("dp-trainer");
  std::string two = dir.file("two"), one = dir.file("one");
  auto res = run_two_ranks(two);
  INFO(res.output);
  REQUIRE(res.exit_code == 0);
  REQUIRE(run_json(recipe(one, 4)) == 0);

  // Same weights (6 steps crossing an epoch boundary, accumulation 2, uneven target counts).
  CHECK(torch::allclose(final_weight(two), final_weight(one), 0, 1e-6));
  // Logged train loss is the global batch's, and eval covers every sample once on 2 ranks.
  auto m2 = read_jsonl(two + "/metrics.jsonl"), m1 = read_jsonl(one + "/metrics.jsonl");
  REQUIRE(m2.size() == m1.size());
  for (size_t i = 0; i < m1.size(); ++i)
    for (const char* k : {"train/loss", "train/out1_loss", "eval/loss"})
      if (m1[i].contains(k)) {
        REQUIRE(m2[i].contains(k));
        CHECK(m2[i][k].get<double>() == doctest::Approx(m1[i][k].get<double>()).epsilon(1e-6));
      }
  // One run directory, written by rank 0 alone; it records the world size.
  Json meta = Json::parse(test::read_text(two + "/meta.json"));
  CHECK(meta["world_size"] == 2);
  CHECK(meta["distributed_backend"] == "gloo");
  Json state = Json::parse(test::read_text(two + "/checkpoint-3/trainer_state.json"));
  CHECK(state["world_size"] == 2);
  CHECK(state["batch_in_epoch"] == 6);  // per rank: 3 steps x 2 micro-batches
  CHECK(test::read_text(two + "/train.log").find("rank 1") == std::string::npos);

  // Resuming the 2-process checkpoint in 1 process is refused, and with the explicit allow it
  // continues at the same sample (24 of 32 in epoch 0) and ends where the 1-process run ended.
  fs::remove_all(two + "/final");
  fs::remove_all(two + "/checkpoint-6");
  RunFlags flags;
  flags.resume = two + "/checkpoint-3";
  Json again = recipe(two, 4);
  again["trainer"]["allow_changed_on_resume"] = {"trainer.batch_size"};
  CHECK_THROWS_WITH_AS(run_json(again, flags),
                       doctest::Contains("2 process(es) and this run has 1"), RecipeError);
  again["trainer"]["allow_world_size_change"] = true;
  REQUIRE(run_json(again, flags) == 0);
  CHECK(torch::allclose(final_weight(two), final_weight(one), 0, 1e-6));
}

TEST_CASE("2-process resume with --resume auto continues the same run") {
  auto backends = available_backends();
  if (std::find(backends.begin(), backends.end(), "gloo") == backends.end()) {
    MESSAGE("skipped: this build has no Gloo backend");
    return;
  }
  test::TempDir dir("dp-resume");
  std::string full = dir.file("full"), part = dir.file("part");
  REQUIRE(run_two_ranks(full).exit_code == 0);
  REQUIRE(run_two_ranks(part).exit_code == 0);
  // Drop the end of the run as if it had been killed after checkpoint-3, then resume on 2 ranks.
  fs::remove_all(part + "/final");
  fs::remove_all(part + "/checkpoint-6");
  auto res = run_two_ranks(part, "HIGGS_DP_TEST_RESUME=auto");
  INFO(res.output);
  REQUIRE(res.exit_code == 0);
  CHECK(res.output.find("resumed from " + part + "/checkpoint-3") != std::string::npos);
  CHECK(torch::equal(final_weight(full), final_weight(part)));
}

}  // namespace higgs::dp_trainer_test
