// Fault injection (docs/reliability.md): a SIGKILL in the middle of a checkpoint write, a full
// disk (real tmpfs when this process may mount one, and an injected ENOSPC everywhere), and a
// dataset whose audio files vanish while the run goes on.
#include <torch/torch.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "framework/run/runner.h"
#include "framework/train/checkpointer.h"
#include "framework/util/dir_commit.h"
#include "tests/support/test_support.h"
#include "tests/unit/train/trainer_doubles.h"

namespace fs = std::filesystem;
using higgs::Json;

HIGGS_REGISTER(higgs::Model, higgs::test::LinearModel, "test_linear", "Test double.");
HIGGS_REGISTER(higgs::Dataset, higgs::test::SyntheticData, "test_synthetic", "Test double.");
HIGGS_REGISTER(higgs::Collator, higgs::test::StackCollator, "test_stack", "Test double.");
HIGGS_REGISTER(higgs::Optimizer, higgs::test::PlainSgd, "test_sgd", "Test double.");

namespace higgs::fault_test {

// The trainer test doubles, registered above and in fault_child.cpp.
Json recipe(const std::string& out, int64_t max_steps, int64_t dim = 4) {
  return Json{{"seed", 11},
              {"output_dir", out},
              {"threads", 1},
              {"model", {{"type", "test_linear"}, {"dim", dim}}},
              {"train_data", {{"type", "test_synthetic"}, {"size", 16}, {"dim", dim}}},
              {"collator", "test_stack"},
              {"optimizer", {{"type", "test_sgd"}, {"lr", 0.05}}},
              {"trainer",
               {{"max_steps", max_steps},
                {"batch_size", 4},
                {"log_every", 2},
                {"save_every", 4},
                {"keep_last", 5},
                {"num_workers", 1},
                {"progress_bar", false}}}};
}

int run_in_process(const Json& r, const std::string& resume = "") {
  higgs::RunFlags flags;
  flags.resume = resume;
  return higgs::run_plan(higgs::plan_recipe(higgs::Config(r, "fault_test.json")), flags);
}

test::CommandResult run_child(const std::string& recipe_file, const std::string& fault,
                              const std::string& resume = "") {
  std::string cmd = (fault.empty() ? "" : "HIGGS_FAULT_INJECT=" + test::shell_quote(fault) + " ") +
                    std::string(HIGGS_BINARY_DIR) + "/tests/higgs_fault_child " +
                    test::shell_quote(recipe_file) +
                    (resume.empty() ? "" : " --resume " + test::shell_quote(resume));
  return test::run_command(cmd);
}

at::Tensor final_weight(const std::string& run) {
  at::Tensor w;
  torch::load(w, run + "/final/weight.pt");
  return w;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace higgs::fault_test

using namespace higgs::fault_test;

TEST_CASE(
    "SIGKILL during a checkpoint write: the previous checkpoint stays, --resume auto picks it") {
  higgs::test::TempDir dir("fault-sigkill");
  REQUIRE(run_in_process(recipe(dir.file("full"), 12)) == 0);
  const at::Tensor expected = final_weight(dir.file("full"));

  // Killed after the second checkpoint's files are written but before the rename, and while its
  // optimizer.pt is half way (the temporary file written, not renamed).
  for (const std::string fault : {"checkpoint.before_rename@2", "file.write/optimizer.pt@2"}) {
    CAPTURE(fault);
    const std::string run = dir.file(fault.substr(0, fault.find_first_of("/@")));
    higgs::test::write_text(dir.file("r.json"), recipe(run, 12).dump());
    auto killed = run_child(dir.file("r.json"), fault);
    REQUIRE_MESSAGE(killed.exit_code == 128 + SIGKILL, killed.output);
    CHECK(contains(killed.output, "saved checkpoint " + run + "/checkpoint-4"));
    CHECK_FALSE(contains(killed.output, "checkpoint-8\n"));
    CHECK(fs::exists(run + "/.checkpoint-8.tmp"));  // the interrupted write
    CHECK_FALSE(fs::exists(run + "/checkpoint-8"));

    // The previous checkpoint is complete and loadable; it is the newest one.
    higgs::Checkpointer store(run);
    REQUIRE(store.newest().has_value());
    CHECK(*store.newest() == run + "/checkpoint-4");
    auto trainable = higgs::load_tensor_map(run + "/checkpoint-4/trainable.pt");
    CHECK(trainable.size() == 2);  // weight and bias of the linear model
    CHECK(trainable.begin()->second.numel() > 0);

    auto resumed = run_child(dir.file("r.json"), "", "auto");
    REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
    if (fault == "checkpoint.before_rename@2") {
      // Every file and the manifest were written: the whole copy is put in place and used.
      CHECK(contains(resumed.output, "completed the interrupted write of checkpoint-8"));
      CHECK(contains(resumed.output, "resumed from " + run + "/checkpoint-8 at step 8"));
    } else {
      CHECK(contains(resumed.output, "removed an incomplete .checkpoint-8.tmp"));
      CHECK(contains(resumed.output, "resumed from " + run + "/checkpoint-4 at step 4"));
    }
    CHECK_FALSE(fs::exists(run + "/.checkpoint-8.tmp"));
    CHECK(fs::exists(run + "/checkpoint-8/trainer_state.json"));
    // Bit for bit the run that was never interrupted.
    CHECK(torch::equal(final_weight(run), expected));
  }
}

TEST_CASE(
    "SIGKILL at every step of a checkpoint rewrite, a prune and a final/ rewrite: resumes "
    "bit-identical") {
  higgs::test::TempDir dir("fault-rewrite");
  REQUIRE(run_in_process(recipe(dir.file("full"), 12)) == 0);
  const at::Tensor expected = final_weight(dir.file("full"));
  // The finished run is resumed from checkpoint-8 (as wrappers that always pass --resume do):
  // checkpoint-12 and final/ exist and are rewritten, and the process dies at one step of that.
  // The prune case starts fresh with keep_last 2: the first prune (of checkpoint-4) is killed.
  struct Case {
    std::string fault;
    bool rewrite;
  } cases[] = {{"checkpoint.before_rename", true}, {"checkpoint.old_aside", true},
               {"checkpoint.new_in", true},        {"final.before_rename", true},
               {"final.old_aside", true},          {"final.new_in", true},
               {"dir.removed_aside", false}};
  for (const auto& c : cases) {
    CAPTURE(c.fault);
    const std::string run = dir.file(c.fault);
    Json r = recipe(run, 12);
    if (!c.rewrite) r["trainer"]["keep_last"] = 2;
    higgs::test::write_text(dir.file("r.json"), r.dump());
    if (c.rewrite) REQUIRE(run_in_process(r) == 0);
    auto killed = c.rewrite ? run_child(dir.file("r.json"), c.fault, run + "/checkpoint-8")
                            : run_child(dir.file("r.json"), c.fault);
    REQUIRE_MESSAGE(killed.exit_code == 128 + SIGKILL, killed.output);
    // Whatever moment it was: the newest checkpoint on disk is complete, and so is final/ when
    // the run had one.
    higgs::Checkpointer store(run);
    store.recover();
    REQUIRE(store.newest().has_value());
    CHECK_FALSE(higgs::Checkpointer::verify(*store.newest()).has_value());
    if (c.rewrite) CHECK_FALSE(higgs::verify_directory(run + "/final", true).has_value());

    auto resumed = run_child(dir.file("r.json"), "", "auto");
    REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
    CHECK(torch::equal(final_weight(run), expected));  // bit for bit the uninterrupted run
    CHECK_FALSE(higgs::verify_directory(run + "/final", true).has_value());
    for (const auto& e : fs::directory_iterator(run))
      CHECK_MESSAGE(e.path().filename().string().rfind(".checkpoint-", 0) != 0, e.path());
  }
}

TEST_CASE(
    "a damaged newest checkpoint: --resume auto passes over it with a warning, naming the file") {
  higgs::test::TempDir dir("fault-damaged");
  REQUIRE(run_in_process(recipe(dir.file("full"), 12)) == 0);
  const at::Tensor expected = final_weight(dir.file("full"));
  const std::string run = dir.file("run");
  higgs::test::write_text(dir.file("r.json"), recipe(run, 12).dump());
  auto killed = run_child(dir.file("r.json"), "checkpoint.before_rename@3");  // before step 12's
  REQUIRE(killed.exit_code == 128 + SIGKILL);
  fs::remove_all(run + "/.checkpoint-12.tmp");
  // Zeroed in place, the size unchanged: only the checksum tells.
  const std::string opt = run + "/checkpoint-8/optimizer.pt";
  const auto size = fs::file_size(opt);
  higgs::test::write_text(opt, std::string(size, '\0'));
  auto resumed = run_child(dir.file("r.json"), "", "auto");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(contains(resumed.output,
                 "passing over " + run + "/checkpoint-8: optimizer.pt: the contents changed"));
  CHECK(contains(resumed.output, "resumed from " + run + "/checkpoint-4 at step 4"));
  CHECK(torch::equal(final_weight(run), expected));
  // Named explicitly, the damaged checkpoint is refused with the file and what to do.
  higgs::test::write_text(opt, std::string(size, '\0'));
  auto explicit_resume = run_child(dir.file("r.json"), "", run + "/checkpoint-8");
  CHECK(explicit_resume.exit_code == 2);
  CHECK(contains(explicit_resume.output,
                 "the checkpoint is damaged: optimizer.pt: the contents changed"));
}

TEST_CASE("SIGHUP (a closed terminal) stops training like SIGTERM: a checkpoint, exit code 75") {
  higgs::test::TempDir dir("fault-sighup");
  const std::string run = dir.file("run");
  Json r = recipe(run, 100000000);  // runs until the signal
  r["trainer"]["save_every"] = 0;
  higgs::test::write_text(dir.file("r.json"), r.dump());
  // Started in the background; the signal goes once training has logged a step.
  auto out = higgs::test::run_command(
      "( " + std::string(HIGGS_BINARY_DIR) + "/tests/higgs_fault_child " +
      higgs::test::shell_quote(dir.file("r.json")) + " & pid=$!; for i in $(seq 600); do [ -s " +
      higgs::test::shell_quote(run + "/metrics.jsonl") + " ] && break; sleep 0.05; done; " +
      "kill -HUP $pid; wait $pid; echo \"exit code $?\" )");
  CHECK_MESSAGE(contains(out.output, "exit code 75"), out.output);  // kExitInterrupted
  CHECK(contains(out.output, "stopped by signal 1 at step"));
  higgs::Checkpointer store(run);
  REQUIRE(store.newest().has_value());
  CHECK_FALSE(higgs::Checkpointer::verify(*store.newest()).has_value());
}

TEST_CASE(
    "a full disk (injected ENOSPC) during a checkpoint write: clear error, no corrupt checkpoint") {
  higgs::test::TempDir dir("fault-enospc");
  const std::string run = dir.file("run");
  higgs::test::write_text(dir.file("r.json"), recipe(run, 12).dump());
  auto r = run_child(dir.file("r.json"), "file.write/trainable.pt@2:enospc");
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.output, "error: cannot write " + run +
                                       "/.checkpoint-8.tmp/trainable.pt: write failed: No space "
                                       "left on device (the disk is full; free space and retry)"),
                r.output);
  CHECK(fs::exists(run + "/checkpoint-4/trainer_state.json"));
  CHECK_FALSE(fs::exists(run + "/checkpoint-8"));
  CHECK_FALSE(fs::exists(run + "/.checkpoint-8.tmp"));  // removed, not left half written
  for (const auto& e : fs::directory_iterator(run))
    CHECK_MESSAGE(e.path().filename().string().find(".tmp") == std::string::npos, e.path());
  auto resumed = run_child(dir.file("r.json"), "", "auto");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(contains(resumed.output, "resumed from " + run + "/checkpoint-4 at step 4"));
  REQUIRE(run_in_process(recipe(dir.file("full"), 12)) == 0);
  CHECK(torch::equal(final_weight(run), final_weight(dir.file("full"))));
}

namespace {

// Mounts a small tmpfs and unmounts it when done; `ok` is false where mounting is not allowed
// (not root, or a container without CAP_SYS_ADMIN).
struct SmallTmpfs {
  explicit SmallTmpfs(const std::string& dir, const char* size) : dir(dir) {
    fs::create_directories(dir);
    ok = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, size) == 0;
    if (!ok) why = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (ok) ::umount2(dir.c_str(), MNT_DETACH);
  }
  std::string dir, why;
  bool ok = false;
};

// Fills the file system of `dir` with one file, leaving about `leave` bytes free.
void fill_disk(const std::string& file, size_t leave) {
  std::ofstream out(file, std::ios::binary);
  std::string block(4096, 'x');
  while (out.write(block.data(), block.size()) && out.flush()) {
  }
  out.close();
  auto size = fs::file_size(file);
  fs::resize_file(file, size > leave ? size - leave : 0);
}

}  // namespace

TEST_CASE(
    "a real full disk (small tmpfs) during a checkpoint write: clear error, previous checkpoint "
    "kept") {
  higgs::test::TempDir dir("fault-tmpfs");
  // 2 MiB: room for the run, and for final/ twice while its rewrite keeps the old copy whole.
  SmallTmpfs disk(dir.file("disk"), "size=2m");
  if (!disk.ok) {
    MESSAGE("SKIPPED: cannot mount a tmpfs here (" << disk.why
                                                   << "); needs root with CAP_SYS_ADMIN. The "
                                                      "injected-ENOSPC test covers the code path.");
    return;
  }
  // A 2 x 32768 linear model: trainable.pt is ~256 KiB, the logs a few KiB.
  const int64_t dim = 32768;
  const std::string run = disk.dir + "/run";
  REQUIRE(run_in_process(recipe(run, 4, dim)) == 0);  // checkpoint-4 and final/
  REQUIRE(fs::exists(run + "/checkpoint-4/trainer_state.json"));
  fill_disk(disk.dir + "/filler", 96 * 1024);
  try {
    run_in_process(recipe(run, 8, dim), "auto");
    FAIL("the checkpoint write did not fail on a full disk");
  } catch (const std::runtime_error& e) {
    CHECK_MESSAGE(contains(e.what(), "cannot write " + run + "/.checkpoint-8.tmp/"), e.what());
    CHECK_MESSAGE(
        contains(e.what(), "No space left on device (the disk is full; free space and retry)"),
        e.what());
  }
  CHECK_FALSE(fs::exists(run + "/checkpoint-8"));
  CHECK_FALSE(fs::exists(run + "/.checkpoint-8.tmp"));
  auto state = higgs::load_tensor_map(run + "/checkpoint-4/trainable.pt");
  CHECK(state.size() == 2);
  // Space freed: the same command finishes from checkpoint-4.
  fs::remove(disk.dir + "/filler");
  REQUIRE(run_in_process(recipe(run, 8, dim), "auto") == 0);
  CHECK(fs::exists(run + "/checkpoint-8/trainer_state.json"));
}

TEST_CASE("SIGKILL in a token-budget curriculum run: --resume auto gives the same batches") {
  // Token-budget batches of a widening pool (half the samples, all from step 2): the checkpoint
  // of step 4 is inside the epoch that began at step 2, and the resumed run must plan that epoch
  // from the step it began at (TrainState::epoch_start_step), not from step 0's smaller pool.
  higgs::test::TempDir dir("fault-sigkill-sampler");
  auto with_sampler = [](Json r) {
    r["train_data"]["size"] = 40;
    r["sampler"] = {{"type", "curriculum"},
                    {"max_tokens_per_batch", 90},
                    {"buckets", 3},
                    {"pool_steps", {0, 2}},
                    {"pool_fractions", {0.5, 1.0}}};
    return r;
  };
  REQUIRE(run_in_process(with_sampler(recipe(dir.file("full"), 12))) == 0);
  const at::Tensor expected = final_weight(dir.file("full"));
  const std::string run = dir.file("killed");
  higgs::test::write_text(dir.file("r.json"), with_sampler(recipe(run, 12)).dump());
  auto killed = run_child(dir.file("r.json"), "file.write/optimizer.pt@2");
  REQUIRE_MESSAGE(killed.exit_code == 128 + SIGKILL, killed.output);
  CHECK_FALSE(fs::exists(run + "/checkpoint-8"));
  auto resumed = run_child(dir.file("r.json"), "", "auto");
  REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.output);
  CHECK(contains(resumed.output, "resumed from " + run + "/checkpoint-4 at step 4"));
  CHECK(torch::equal(final_weight(run), expected));
}
