#include <torch/torch.h>
// doctest after torch (see COMMON.md).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "framework/tensor_io/checkpoint_match.h"
#include "framework/tensor_io/sharded_checkpoint.h"
#include "tests/unit/tensor_io/test_util.h"

using namespace higgs::tensor_io;
using higgs::tensor_io_test::TempDir;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace sharded_checkpoint_test {

std::map<std::string, at::Tensor> six_tensors() {
  std::map<std::string, at::Tensor> out;
  for (int i = 0; i < 6; ++i)  // 100 floats = 400 bytes each
    out["layers." + std::to_string(i) + ".weight"] = torch::arange(100, torch::kFloat) + i * 1000;
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("tensor_io: sharded safetensors write and read back") {
  TempDir dir;
  auto tensors = six_tensors();
  ShardOptions opt;
  opt.max_shard_bytes = 1000;  // two 400-byte tensors per shard
  auto res = save_sharded_safetensors(dir.path(), tensors, opt);
  CHECK(res.shard_files == std::vector<std::string>{"model-00001-of-00003.safetensors",
                                                    "model-00002-of-00003.safetensors",
                                                    "model-00003-of-00003.safetensors"});
  CHECK(res.index_file == "model.safetensors.index.json");
  CHECK(res.total_size == 2400);

  auto index = nlohmann::json::parse(higgs::tensor_io_test::read_bytes(dir.file(res.index_file)));
  CHECK(index["metadata"]["total_size"] == 2400);
  CHECK(index["weight_map"].size() == 6);
  CHECK(index["weight_map"]["layers.0.weight"] == "model-00001-of-00003.safetensors");
  CHECK(index["weight_map"]["layers.3.weight"] == "model-00002-of-00003.safetensors");
  CHECK(index["weight_map"]["layers.5.weight"] == "model-00003-of-00003.safetensors");
  // Each shard really holds only its two tensors.
  auto shard2 = SafetensorsFile::open(dir.file("model-00002-of-00003.safetensors"));
  CHECK(shard2.names() == std::vector<std::string>{"layers.2.weight", "layers.3.weight"});
  CHECK(shard2.metadata().at("format") == "pt");

  for (const std::string& where : {dir.path(), dir.file(res.index_file)}) {
    CAPTURE(where);
    auto ckpt = ShardedCheckpoint::open(where);
    CHECK(ckpt.names().size() == 6);
    CHECK(ckpt.shard_files().size() == 3);
    CHECK(ckpt.index_metadata().at("total_size") == "2400");
    CHECK(ckpt.shard_of("layers.4.weight") == dir.file("model-00003-of-00003.safetensors"));
    CHECK(ckpt.info("layers.1.weight").shape == std::vector<int64_t>{100});
    for (const auto& [name, t] : tensors) CHECK(torch::equal(ckpt.tensor(name), t));
  }
}

TEST_CASE("tensor_io: sharded writer corner cases") {
  TempDir dir;
  SUBCASE("fits one shard: model.safetensors without index, unless asked") {
    auto res = save_sharded_safetensors(dir.path(), six_tensors());
    CHECK(res.shard_files == std::vector<std::string>{"model.safetensors"});
    CHECK(res.index_file.empty());
    auto ckpt = ShardedCheckpoint::open(dir.path());
    CHECK(ckpt.names().size() == 6);
    CHECK(torch::equal(ckpt.tensor("layers.5.weight"), six_tensors()["layers.5.weight"]));

    ShardOptions opt;
    opt.always_index = true;
    opt.prefix = "adapter";
    res = save_sharded_safetensors(dir.path(), six_tensors(), opt);
    CHECK(res.shard_files == std::vector<std::string>{"adapter-00001-of-00001.safetensors"});
    CHECK(res.index_file == "adapter.safetensors.index.json");
  }
  SUBCASE("a tensor larger than the limit gets a shard of its own") {
    std::map<std::string, at::Tensor> t = {
        {"a", torch::ones({10})}, {"b", torch::ones({1000})}, {"c", torch::ones({10})}};
    ShardOptions opt;
    opt.max_shard_bytes = 100;
    auto res = save_sharded_safetensors(dir.path(), t, opt);
    CHECK(res.shard_files.size() == 3);
    CHECK(SafetensorsFile::open(dir.file(res.shard_files[1])).names() ==
          std::vector<std::string>{"b"});
  }
}

TEST_CASE("tensor_io: broken sharded checkpoints give clear errors") {
  TempDir dir;
  ShardOptions opt;
  opt.max_shard_bytes = 1000;
  save_sharded_safetensors(dir.path(), six_tensors(), opt);
  SUBCASE("missing shard") {
    std::remove(dir.file("model-00002-of-00003.safetensors").c_str());
    CHECK(error_of([&] { ShardedCheckpoint::open(dir.path()); }) ==
          "checkpoint index " + dir.file("model.safetensors.index.json") +
              " names shard model-00002-of-00003.safetensors, which does not exist in " +
              dir.path() + ": the download is incomplete");
  }
  SUBCASE("index and shard disagree") {
    save_safetensors(dir.file("model-00002-of-00003.safetensors"),
                     {{"layers.2.weight", torch::ones({100})}});
    auto ckpt = ShardedCheckpoint::open(dir.path());
    CHECK(torch::equal(ckpt.tensor("layers.0.weight"), six_tensors()["layers.0.weight"]));
    CHECK(error_of([&] { ckpt.tensor("layers.2.weight"); })
              .find("the index puts tensor layers.3.weight in " +
                    dir.file("model-00002-of-00003.safetensors") + ", which has no such tensor") !=
          std::string::npos);
  }
  SUBCASE("shard path escaping the directory") {
    higgs::tensor_io_test::write_bytes(dir.file("model.safetensors.index.json"),
                                       R"({"weight_map": {"w": "../x.safetensors"}})");
    CHECK(error_of([&] {
            ShardedCheckpoint::open(dir.path());
          }).find("names shard \"../x.safetensors\", which is not a file name inside") !=
          std::string::npos);
  }
  SUBCASE("empty directory") {
    TempDir empty;
    CHECK(error_of([&] { ShardedCheckpoint::open(empty.path()); }) ==
          "checkpoint directory " + empty.path() +
              " holds neither model.safetensors.index.json nor model.safetensors");
  }
}

TEST_CASE("tensor_io: checkpoint match report lists missing, unexpected and mismatched names") {
  std::map<std::string, TensorMeta> expected, actual;
  for (int i = 0; i < 25; ++i) expected["m." + std::to_string(100 + i)] = {at::kFloat, {4}};
  expected["shape"] = {at::kFloat, {4, 8}};
  expected["dtype"] = {at::kFloat, {2}};
  expected["same"] = {at::kBFloat16, {3}};
  actual["shape"] = {at::kFloat, {8, 4}};
  actual["dtype"] = {at::kBFloat16, {2}};
  actual["same"] = {at::kBFloat16, {3}};
  actual["extra.a"] = {at::kLong, {}};

  auto r = match_checkpoint(expected, actual);
  CHECK(r.missing.size() == 25);
  CHECK(r.missing.front() == "m.100");
  CHECK(r.unexpected == std::vector<std::string>{"extra.a"});
  REQUIRE(r.shape_mismatches.size() == 1);
  CHECK(r.shape_mismatches[0].name == "shape");
  REQUIRE(r.dtype_mismatches.size() == 1);
  CHECK(r.matched == 2);
  CHECK_FALSE(r.ok());

  std::string text = format_match_report(r, "ckpt/");
  CHECK(text.find("checkpoint ckpt/: 2 tensors match, 25 missing, 1 unexpected, 1 with another "
                  "shape, 1 with another dtype") == 0);
  CHECK(text.find("\nmissing from the checkpoint (25):\n  m.100\n") != std::string::npos);
  CHECK(text.find("  m.119\n  ... and 5 more\n") != std::string::npos);
  CHECK(text.find("m.120") == std::string::npos);
  CHECK(text.find("unexpected in the checkpoint (1):\n  extra.a") != std::string::npos);
  CHECK(text.find("shape: expected [4, 8] F32, checkpoint has [8, 4] F32") != std::string::npos);
  CHECK(text.find("dtype: expected [2] F32, checkpoint has [2] BF16") != std::string::npos);

  auto exact = match_checkpoint(actual, actual);
  CHECK(exact.exact());
  CHECK(format_match_report(exact, "x") ==
        "checkpoint x: 4 tensors match, 0 missing, 0 unexpected, 0 with another shape, 0 with "
        "another dtype");
}

TEST_CASE("tensor_io: the released Higgs checkpoint index parses") {
  // The real index (weights are not available here): names and shard assignment must read as
  // they are; the shards are stand-in empty files, so only the index is exercised.
  TempDir dir;
  // A copy of bosonai/higgs-audio-v2-generation-3B-base's index (revision 10840182).
  const std::string text = higgs::tensor_io_test::read_bytes(
      std::string(HIGGS_SOURCE_DIR) +
      "/tests/golden/tensor_io/higgs-audio-v2-generation-3B-base.model.safetensors.index.json");
  REQUIRE(!text.empty());
  higgs::tensor_io_test::write_bytes(dir.file("model.safetensors.index.json"), text);
  for (int i = 1; i <= 3; ++i)
    higgs::tensor_io_test::write_bytes(
        dir.file("model-0000" + std::to_string(i) + "-of-00003.safetensors"), "");
  auto ckpt = ShardedCheckpoint::open(dir.path());
  CHECK(ckpt.names().size() == 397);
  CHECK(ckpt.shard_files().size() == 3);
  CHECK(ckpt.index_metadata().at("total_size") == "11542566912");
  // An empty stand-in shard is reported as such when a tensor is asked for.
  const std::string first = ckpt.names().front();
  CHECK(error_of([&] { ckpt.tensor(first); }).find("too short for a safetensors file") !=
        std::string::npos);
}

}  // namespace sharded_checkpoint_test
