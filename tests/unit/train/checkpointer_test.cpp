// Checkpoints and final/ on disk: every state an interrupted write, replacement or prune can leave
// is recovered to a complete copy (the old one or the new one); damaged checkpoints are passed
// over; run directories are recognised by their marker and locked. SIGKILLs at each of these
// steps of a real run are in tests/fault/fault_injection_test.cpp.
#include <torch/torch.h>

#include "framework/train/checkpointer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "framework/config/diagnostics.h"
#include "framework/run/run_dir_guard.h"
#include "framework/train/trainer_state.h"
#include "framework/util/dir_commit.h"
#include "framework/util/fs.h"
#include "tests/support/test_support.h"

namespace checkpointer_test {

namespace fs = std::filesystem;
using higgs::test::read_text;
using higgs::test::TempDir;
using higgs::test::write_text;

namespace {

// A checkpoint-STEP whose one file says `content`.
void write_step(higgs::Checkpointer& store, int step, const std::string& content) {
  store.write_files(step, [&](const std::string& d) {
    write_text(d + "/trainer_state.json", "{\"step\": " + std::to_string(step) + "}");
    write_text(d + "/trainable.pt", content);
  });
}

std::string content_of(const TempDir& dir, const std::string& name) {
  return read_text(dir.file(name + "/trainable.pt"));
}

}  // namespace

TEST_CASE("checkpoint store: whole checkpoints with a manifest, listed, pruned by renaming") {
  TempDir dir("ckpt-store");
  higgs::Checkpointer store(dir.path());
  for (int s : {1, 2, 3}) write_step(store, s, "weights " + std::to_string(s));
  CHECK(fs::exists(dir.file("checkpoint-2/") + higgs::kManifestFile));
  fs::create_directories(dir.file(".checkpoint-4.tmp"));  // an interrupted write
  fs::create_directories(dir.file("checkpoint-9"));       // no manifest, no trainer_state.json
  REQUIRE(store.list().size() == 3);
  CHECK(*store.newest() == dir.file("checkpoint-3"));
  CHECK_THROWS(
      store.write_files(5, [](const std::string&) { throw std::runtime_error("disk full"); }));
  CHECK_FALSE(fs::exists(dir.file("checkpoint-5")));
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-5.tmp")));
  store.prune(1, "checkpoint-1");  // protected by name (the run directory may have moved)
  CHECK(fs::exists(dir.file("checkpoint-1")));
  CHECK_FALSE(fs::exists(dir.file("checkpoint-2")));
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-2.removed")));
  CHECK(fs::exists(dir.file("checkpoint-3")));
  store.recover();
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-4.tmp")));
  CHECK(fs::exists(dir.file("checkpoint-9")));  // not ours to judge: left alone, never listed
}

TEST_CASE("checkpoint rewrite: each crash state recovers to the old or the new complete copy") {
  TempDir dir("ckpt-rewrite");
  higgs::Checkpointer store(dir.path());
  // Makes checkpoint-3 (old) and a complete new copy, then arranges them as a crash leaves them.
  auto arrange = [&](bool new_complete, const std::string& state) {
    fs::remove_all(dir.path());
    fs::create_directories(dir.path());
    write_step(store, 3, "old");
    write_step(store, 4, "new");  // made whole elsewhere, then placed where a rewrite writes it
    fs::rename(dir.file("checkpoint-4"), dir.file(".checkpoint-3.tmp"));
    if (!new_complete) fs::remove(dir.file(".checkpoint-3.tmp/") + higgs::kManifestFile);
    if (state == "old aside") fs::rename(dir.file("checkpoint-3"), dir.file(".checkpoint-3.old"));
    if (state == "new in") {
      fs::rename(dir.file("checkpoint-3"), dir.file(".checkpoint-3.old"));
      fs::rename(dir.file(".checkpoint-3.tmp"), dir.file("checkpoint-3"));
    }
  };
  struct Case {
    bool new_complete;
    const char* state;
    const char* expect;
  } cases[] = {
      {true, "before rename", "old"},   // the new copy whole, not yet in: the old one stays
      {false, "before rename", "old"},  // the new copy torn
      {true, "old aside", "new"},       // between the two renames: the whole new copy goes in
      {false, "old aside", "old"},      // ... unless it is torn: the old one comes back
      {true, "new in", "new"},          // the old copy not yet removed
  };
  for (const auto& c : cases) {
    const std::string state = c.state;
    CAPTURE(state);
    CAPTURE(c.new_complete);
    arrange(c.new_complete, c.state);
    store.recover();
    REQUIRE(store.newest().has_value());
    CHECK(*store.newest() == dir.file("checkpoint-3"));
    CHECK(content_of(dir, "checkpoint-3") == c.expect);
    CHECK_FALSE(higgs::Checkpointer::verify(dir.file("checkpoint-3")).has_value());
    for (const char* left : {".checkpoint-3.tmp", ".checkpoint-3.old"})
      CHECK_FALSE(fs::exists(dir.file(left)));
  }
  // A rewrite through write(): the new copy replaces the old one.
  write_step(store, 3, "newer");
  CHECK(content_of(dir, "checkpoint-3") == "newer");
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-3.old")));
}

TEST_CASE("a damaged checkpoint is not listed or is passed over, naming the file") {
  TempDir dir("ckpt-damaged");
  higgs::Checkpointer store(dir.path());
  write_step(store, 1, "weights one");
  write_step(store, 2, "weights two");
  write_step(store, 3, "weights three");
  // Truncated: the sizes disagree, so it is not a complete checkpoint at all.
  write_text(dir.file("checkpoint-3/trainable.pt"), "weig");
  CHECK(*store.newest() == dir.file("checkpoint-2"));
  // Same size, other bytes: listed, but verification passes it over.
  write_text(dir.file("checkpoint-2/trainable.pt"), "weights 2wo");
  std::vector<std::string> skipped;
  auto chosen = store.newest_verified(
      [&](const std::string& d, const std::string& why) { skipped.push_back(d + ": " + why); });
  REQUIRE(chosen.has_value());
  CHECK(*chosen == dir.file("checkpoint-1"));
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0] ==
        dir.file("checkpoint-2") +
            ": trainable.pt: the contents changed (XXH64 differs from the manifest's)");
  CHECK(*higgs::Checkpointer::verify(dir.file("checkpoint-3")) ==
        "trainable.pt: 4 bytes, the manifest says 13");
  write_text(dir.file("checkpoint-1/extra.bin"), "x");
  CHECK(*higgs::Checkpointer::verify(dir.file("checkpoint-1")) ==
        "extra.bin is not in the manifest");
  // A checkpoint from before manifests: trainer_state.json makes it complete.
  fs::create_directories(dir.file("checkpoint-7"));
  write_text(dir.file("checkpoint-7/trainer_state.json"), "{}");
  CHECK(*store.newest() == dir.file("checkpoint-7"));
  CHECK_FALSE(higgs::Checkpointer::verify(dir.file("checkpoint-7")).has_value());
}

TEST_CASE("final/ is replaced whole, a crash leaves the old or the new one") {
  TempDir dir("final-dir");
  const std::string final_dir = dir.file("final");
  auto write_final = [&](const std::string& content) {
    higgs::write_directory_atomically(
        final_dir,
        [&](const std::string& d) { write_text(d + "/adapter_model.safetensors", content); },
        "final");
  };
  write_final("first");
  write_final("second");
  CHECK(read_text(final_dir + "/adapter_model.safetensors") == "second");
  CHECK_FALSE(higgs::verify_directory(final_dir, true).has_value());
  // Crash between the renames: only .final.old and .final.tmp exist.
  fs::rename(final_dir, dir.file(".final.old"));
  write_final("third");
  fs::rename(final_dir, dir.file(".final.tmp"));
  higgs::Checkpointer(dir.path()).recover();
  CHECK(read_text(final_dir + "/adapter_model.safetensors") == "third");
  CHECK_FALSE(fs::exists(dir.file(".final.old")));
}

TEST_CASE("run directories: the marker, adopting an older run, and one process at a time") {
  TempDir dir("run-guard");
  fs::create_directories(dir.file("mine/final"));
  write_text(dir.file("mine/notes.txt"), "user's");
  CHECK_FALSE(higgs::is_run_directory(dir.file("mine")));
  fs::create_directories(dir.file("run"));
  higgs::mark_run_directory(dir.file("run"));
  CHECK(higgs::is_run_directory(dir.file("run")));
  // A run of a higgs-train from before markers.
  write_text(dir.file("old/meta.json"),
             R"({"argv": ["higgs-run"], "version": "0.1.0", "git_revision": "x"})");
  write_text(dir.file("old/recipe.resolved.json"), "{}");
  CHECK(higgs::is_run_directory(dir.file("old")));
  CHECK(fs::exists(dir.file("old/") + higgs::kRunMarkerFile));

  higgs::RunDirectoryLock held(dir.file("run"));
  try {
    higgs::RunDirectoryLock second(dir.file("run"));
    FAIL("a second lock was taken");
  } catch (const higgs::RecipeError& e) {
    CHECK(std::string(e.what()).find("is in use by another higgs-run (pid " +
                                     std::to_string(::getpid()) + ")") != std::string::npos);
  }
}

TEST_CASE("trainer state keeps the best checkpoint by name, also from an absolute path") {
  higgs::TrainState p;
  p.best_checkpoint = "checkpoint-8";
  CHECK(higgs::TrainState::from_json(p.to_json()).best_checkpoint == "checkpoint-8");
  auto j = p.to_json();
  j["best_checkpoint"] = "/old/place/run/checkpoint-8";  // written before, then the run moved
  CHECK(higgs::TrainState::from_json(j).best_checkpoint == "checkpoint-8");
}

TEST_CASE("manifest checksums: recorded while written, or read back for files written otherwise") {
  TempDir dir("ckpt-digests");
  higgs::Checkpointer store(dir.path());
  const std::string big(3 * 1024 * 1024 + 17, 'w');  // several blocks of the hash
  store.write_files(1, [&](const std::string& d) {
    higgs::write_file_atomic(d + "/trainable.pt", big);      // hashed on the way out
    write_text(d + "/trainer_state.json", "{\"step\": 1}");  // an ofstream: hashed from disk
    fs::create_directories(d + "/sub");
    higgs::write_file_atomic(d + "/sub/../sub/rng.pt", "rng");  // a path not in normal form
  });
  CHECK_FALSE(higgs::Checkpointer::verify(dir.file("checkpoint-1")).has_value());
  // A file rewritten with another size after it was recorded is hashed from disk, not trusted.
  store.write_files(2, [&](const std::string& d) {
    higgs::write_file_atomic(d + "/trainable.pt", "first");
    write_text(d + "/trainable.pt", "second, longer");
    write_text(d + "/trainer_state.json", "{\"step\": 2}");
  });
  CHECK_FALSE(higgs::Checkpointer::verify(dir.file("checkpoint-2")).has_value());
  CHECK(higgs::WrittenFileDigests::current() == nullptr);  // the recorder ends with the write
}

TEST_CASE("recover() restores a checkpoint from before manifests left aside by a rewrite") {
  TempDir dir("ckpt-legacy-old");
  higgs::Checkpointer store(dir.path());
  // The old copy (no manifest: an earlier version wrote it) aside, the new one torn.
  fs::create_directories(dir.file(".checkpoint-5.old"));
  write_text(dir.file(".checkpoint-5.old/trainer_state.json"), "{\"step\": 5}");
  write_text(dir.file(".checkpoint-5.old/trainable.pt"), "legacy");
  fs::create_directories(dir.file(".checkpoint-5.tmp"));
  write_text(dir.file(".checkpoint-5.tmp/trainable.pt"), "torn");
  store.recover();
  REQUIRE(store.newest().has_value());
  CHECK(*store.newest() == dir.file("checkpoint-5"));
  CHECK(content_of(dir, "checkpoint-5") == "legacy");
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-5.old")));
  CHECK_FALSE(fs::exists(dir.file(".checkpoint-5.tmp")));
}

}  // namespace checkpointer_test
