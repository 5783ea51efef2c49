// LoRA and freezing driven by the default trainer from a recipe: only LoRA weights train, the
// adapter is written in PEFT's layout at checkpoints and at the end, and resume is exact.
#include <torch/torch.h>

#include <filesystem>

#include <doctest/doctest.h>

#include "framework/run/runner.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/train/checkpointer.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "tests/support/test_support.h"
#include "tests/unit/adapters/tiny_higgs_model.h"
#include "tests/unit/train/trainer_doubles.h"

namespace fs = std::filesystem;

namespace higgs::test {

struct TinyHiggsRecipeModel : TinyHiggsModel {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit TinyHiggsRecipeModel(const Options&) {}
};

struct TinyTokens : Dataset {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit TinyTokens(const Options&) {}
  size_t size() const override { return 12; }
  Example get(size_t i) const override {
    auto ids = (torch::arange(5, at::kLong) + int64_t(i) * 3).remainder(TinyHiggsNet::kVocab);
    auto mask = torch::tensor({0, 0, 0, 1, 1}, at::kLong).to(at::kBool);
    return Example{{{"ids", ids}, {"audio_mask", mask}, {"labels", (ids * 7 + 1).remainder(20)}},
                   Json{{"index", i}}};
  }
};

struct TinyStack : Collator {
  struct Options {};
  static void bind(Binder&, Options&) {}
  explicit TinyStack(const Options&) {}
  Batch collate(const std::vector<Example>& ex) const override {
    Batch b;
    for (const char* k : {"ids", "audio_mask", "labels"}) {
      std::vector<at::Tensor> v;
      for (const auto& e : ex) v.push_back(e.tensors.at(k));
      b.tensors[k] = at::stack(v);
    }
    for (const auto& e : ex) b.infos.push_back(e.info);
    return b;
  }
};

}  // namespace higgs::test

HIGGS_REGISTER(higgs::Model, higgs::test::TinyHiggsRecipeModel, "test_tiny_higgs", "Test double.");
HIGGS_REGISTER(higgs::Dataset, higgs::test::TinyTokens, "test_tiny_tokens", "Test double.");
HIGGS_REGISTER(higgs::Collator, higgs::test::TinyStack, "test_tiny_stack", "Test double.");

namespace {

using higgs::test::run_json;

higgs::Json lora_recipe(const std::string& out) {
  return higgs::Json{
      {"seed", 3},
      {"output_dir", out},
      {"threads", 1},
      {"model", {{"type", "test_tiny_higgs"}}},
      {"train_data", {{"type", "test_tiny_tokens"}}},
      {"collator", "test_tiny_stack"},
      {"adapters", {{{"type", "lora"}, {"r", 4}, {"alpha", 8}, {"dropout", 0.1}}}},
      {"freezing",
       {{{"type", "freeze_pattern"}, {"patterns", {"layers.1.audio_mlp"}}, {"freeze", false}}}},
      {"optimizer", {{"type", "adamw"}, {"lr", 0.01}}},
      {"trainer",
       {{"max_steps", 6},
        {"batch_size", 2},
        {"log_every", 1},
        {"save_every", 3},
        {"num_workers", 1},
        {"progress_bar", false}}}};
}

}  // namespace

TEST_CASE("trainer with lora: only LoRA (and unfrozen) weights train, PEFT files, exact resume") {
  higgs::test::TempDir dir("lora-trainer");
  const std::string out = dir.file("full");
  REQUIRE(run_json(lora_recipe(out)) == 0);
  for (const char* f : {"final/adapter_config.json", "final/adapter_model.safetensors",
                        "checkpoint-3/adapter/adapter_config.json",
                        "checkpoint-3/adapter/adapter_model.safetensors"})
    CHECK_MESSAGE(fs::exists(out + "/" + f), f);

  // The optimizer saw the 16 LoRA matrices plus the one unfrozen audio FFN, nothing else.
  higgs::TensorMap trainable = higgs::load_tensor_map(out + "/checkpoint-6/trainable.pt");
  std::vector<std::string> names;
  for (const auto& kv : trainable) names.push_back(kv.first);
  CHECK(names.size() == 19);
  for (const auto& n : names)
    CHECK_MESSAGE((n.find(".lora_") != std::string::npos || n.rfind("layers.1.audio_mlp.", 0) == 0),
                  n);

  auto final_lora =
      higgs::tensor_io::SafetensorsFile::open(out + "/final/adapter_model.safetensors").tensors();
  REQUIRE(final_lora.size() == 16);
  for (const auto& [name, t] : final_lora)
    if (name.find("lora_B") != std::string::npos)
      CHECK_MESSAGE(t.abs().sum().item<double>() > 0.0, name);  // B moved away from zero
  CHECK(torch::equal(final_lora.at("base_model.model.layers.0.self_attn.q_proj.lora_A.weight"),
                     trainable.at("layers.0.self_attn.q_proj.lora_A.weight")));

  // Stop at step 3 and resume: the same adapter, bit for bit.
  const std::string part = dir.file("part");
  auto r = lora_recipe(part);
  r["trainer"]["max_steps"] = 3;
  REQUIRE(run_json(r) == 0);
  r["trainer"]["max_steps"] = 6;
  higgs::RunFlags flags;
  flags.resume = part + "/checkpoint-3";
  REQUIRE(run_json(r, flags) == 0);
  auto resumed =
      higgs::tensor_io::SafetensorsFile::open(part + "/final/adapter_model.safetensors").tensors();
  for (const auto& [name, t] : final_lora) CHECK_MESSAGE(torch::equal(resumed.at(name), t), name);
}
