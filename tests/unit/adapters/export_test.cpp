// Task `export` on the real Higgs Audio v2 model (tiny config): a run directory whose checkpoint
// holds trained LoRA weights and a module trained in full is exported (a) merged into a full
// checkpoint in the released layout, which reloads strictly and gives the outputs of
// base + adapter, and (b) as a PEFT adapter with modules_to_save.
#include <torch/torch.h>

#include "components/tasks/export.h"

#include <doctest/doctest.h>

#include "components/adapters/lora.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "framework/config/diagnostics.h"
#include "framework/run/runner.h"
#include "framework/tensor_io/safetensors.h"
#include "framework/tensor_io/sharded_checkpoint.h"
#include "framework/train/checkpointer.h"
#include "framework/train/trainable.h"
#include "framework/util/fs.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace higgs::export_test {

namespace fs = std::filesystem;

HiggsAudioModel tiny(const fs::path& dir, const std::string& init = "random") {
  HiggsAudioModel::Options o;
  o.path = dir.string();
  o.init = init;
  o.seed = 5;
  return HiggsAudioModel(o, higgs::RunSettings{0, "cpu"});
}

LoraAdapter::Options lora_options() {
  LoraAdapter::Options o;
  o.r = 4;
  o.alpha = 8;
  o.dropout = 0.0;
  o.target_modules = {"q_proj", "v_proj", "audio_mlp.down_proj"};
  o.modules_to_save = {"audio_decoder_proj.audio_lm_head"};
  return o;
}

Json lora_json() {
  return Json{{"type", "lora"},
              {"r", 4},
              {"alpha", 8},
              {"dropout", 0.0},
              {"target_modules", {"q_proj", "v_proj", "audio_mlp.down_proj"}},
              {"modules_to_save", {"audio_decoder_proj.audio_lm_head"}}};
}

// Base + LoRA with "trained" (random, nonzero) weights, the way a training run leaves them.
void perturb(LoraAdapter& lora, uint64_t seed) {
  torch::NoGradGuard g;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto& p : lora.parameters()) p.tensor.copy_(at::randn(p.tensor.sizes(), gen) * 0.05);
}

std::vector<at::Tensor> outputs(HiggsAudioModel& m, const Batch& b) {
  m.module().eval();
  torch::NoGradGuard g;
  std::vector<at::Tensor> out;
  for (const auto& t : m.loss_terms(b)) out.push_back(t.sum);
  return out;
}

}  // namespace higgs::export_test

using namespace higgs::export_test;

TEST_CASE(
    "export: merged full checkpoint reloads strictly with base+adapter outputs, PEFT adapter with "
    "modules_to_save") {
  auto dir = higgs_test::temp_dir("export");
  const fs::path model_dir = dir / "model";
  fs::create_directories(model_dir);
  higgs_test::write_json(model_dir / "config.json", higgs_test::tiny_config_json());

  // The trained model: random base (seed 5) + LoRA + a fully trained audio head.
  auto trained = tiny(model_dir);
  higgs::LoraAdapter lora(lora_options());
  lora.attach(trained);
  perturb(lora, 11);
  const auto batch = higgs_test::two_sample_batch();
  const auto expected = outputs(trained, batch);

  // A run directory as the trainer writes it: resolved recipe + checkpoint-3/trainable.pt.
  const fs::path run = dir / "run";
  fs::create_directories(run / "checkpoint-3");
  higgs::Json recipe{
      {"seed", 0},
      {"output_dir", run.string()},
      {"threads", 1},
      {"model",
       {{"type", "higgs_audio"}, {"path", model_dir.string()}, {"init", "random"}, {"seed", 5}}},
      {"adapters", higgs::Json::array({lora_json()})}};
  higgs::write_file_atomic((run / "recipe.resolved.json").string(), recipe.dump(2));
  higgs::write_file_atomic((run / "checkpoint-3/recipe.resolved.json").string(), recipe.dump(2));
  higgs::TensorMap trainable;
  for (const auto& p : lora.parameters()) trainable[p.name] = p.tensor.detach().clone();
  higgs::save_tensor_map((run / "checkpoint-3/trainable.pt").string(), trainable);
  higgs::write_file_atomic((run / "checkpoint-3/trainer_state.json").string(),
                           R"({"step": 3, "epoch": 0, "batch_in_epoch": 3})");

  auto export_run = [&](const std::string& from, const higgs::Json& task) {
    higgs::LoadOptions load;
    load.sets.push_back("task=" + task.dump());
    return higgs::run_plan(higgs::load_plan_or_run(from, load), {});
  };

  // (a) Merged, in shards of at most 100 kB (the tiny model is ~1 MB: several shards + index).
  const fs::path full = dir / "full";
  REQUIRE(export_run(run.string(),
                     {{"type", "export"}, {"out", full.string()}, {"max_shard_size", "100KB"}}) ==
          0);
  CHECK(fs::exists(full / "config.json"));
  REQUIRE(fs::exists(full / "model.safetensors.index.json"));
  auto ck = higgs::tensor_io::ShardedCheckpoint::open(full.string());
  CHECK(ck.shard_files().size() > 3);
  for (const auto& f : ck.shard_files())
    CHECK(fs::file_size(f) < 100'000 + 70'000);  // one tensor may overflow
  for (const auto& n : ck.names()) CHECK_MESSAGE(n.find("lora") == std::string::npos, n);

  auto reloaded = tiny(full, "checkpoint");  // strict: every name, every shape
  const auto got = outputs(reloaded, batch);
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(torch::allclose(got[i], expected[i], 1e-4, 1e-5));
  // The base is untouched where nothing was trained, the trained head is copied, the adapted
  // layers hold W + scale * B A.
  auto base = tiny(model_dir);
  auto bsd = base.net().state_dict(), rsd = reloaded.net().state_dict();
  CHECK(torch::equal(rsd.at("embed_tokens.weight"), bsd.at("embed_tokens.weight")));
  CHECK(torch::equal(rsd.at("layers.0.self_attn.k_proj.weight"),
                     bsd.at("layers.0.self_attn.k_proj.weight")));
  CHECK(torch::equal(rsd.at("audio_decoder_proj.audio_lm_head.weight"),
                     trainable.at("audio_decoder_proj.audio_lm_head.weight")));
  const auto& A = trainable.at("layers.1.self_attn.q_proj.lora_A.weight");
  const auto& B = trainable.at("layers.1.self_attn.q_proj.lora_B.weight");
  CHECK(torch::allclose(rsd.at("layers.1.self_attn.q_proj.weight"),
                        bsd.at("layers.1.self_attn.q_proj.weight") + 2.0 * B.matmul(A), 1e-5,
                        1e-6));

  // (b) The adapter alone, from the checkpoint directory: PEFT names, modules_to_save.
  const fs::path adapter = dir / "adapter";
  REQUIRE(export_run((run / "checkpoint-3").string(), {{"type", "export"},
                                                       {"from", (run / "checkpoint-3").string()},
                                                       {"out", adapter.string()},
                                                       {"adapter_only", true}}) == 0);
  auto cfg = higgs::Json::parse(higgs::read_file((adapter / "adapter_config.json").string()));
  CHECK(cfg["modules_to_save"] == higgs::Json::array({"audio_decoder_proj.audio_lm_head"}));
  CHECK(cfg["peft_type"] == "LORA");
  auto st =
      higgs::tensor_io::SafetensorsFile::open((adapter / "adapter_model.safetensors").string())
          .tensors();
  CHECK(st.size() == 2 * 2 * 3 + 1);  // A and B of 3 layers x 2 decoder layers, and the head
  CHECK(torch::equal(st.at("base_model.model.audio_decoder_proj.audio_lm_head.weight"),
                     trainable.at("audio_decoder_proj.audio_lm_head.weight")));
  CHECK(torch::equal(st.at("base_model.model.layers.1.self_attn.q_proj.lora_B.weight"), B));
  // Loaded onto a fresh base it gives the trained outputs exactly.
  auto fresh = tiny(model_dir);
  higgs::LoraAdapter lora2(lora_options());
  lora2.attach(fresh);
  lora2.load(adapter.string());
  const auto again = outputs(fresh, batch);
  for (size_t i = 0; i < again.size(); ++i) CHECK(torch::equal(again[i], expected[i]));

  // A non-empty --out is refused; a run directory without checkpoints is an error.
  CHECK_THROWS_WITH_AS(export_run(run.string(), {{"type", "export"}, {"out", full.string()}}),
                       doctest::Contains("is not empty"), higgs::RecipeError);
  fs::create_directories(dir / "empty_run");
  CHECK_THROWS_WITH_AS(
      higgs::Checkpointer::resolve((dir / "empty_run").string(), "newest", "export"),
      doctest::Contains("holds no complete checkpoint"), higgs::RecipeError);
  CHECK_THROWS_WITH_AS(higgs::Checkpointer::resolve(run.string(), "best", "export"),
                       doctest::Contains("no `best` checkpoint"), higgs::RecipeError);
  CHECK(higgs::parse_byte_size("5GB", "x") == 5'000'000'000ULL);
  CHECK(higgs::parse_byte_size("2GiB", "x") == 2147483648ULL);
  CHECK(higgs::parse_byte_size("100KB", "x") == 100'000ULL);
  CHECK_THROWS_WITH_AS(higgs::parse_byte_size("5 parsecs", "max_shard_size"),
                       doctest::Contains("is not a size"), higgs::RecipeError);
  fs::remove_all(dir);
}

TEST_CASE("lora modules_to_save: trained in full, conflicts and unknown names are errors") {
  auto dir = higgs_test::temp_dir("lora_mts");
  higgs_test::write_json(dir / "config.json", higgs_test::tiny_config_json());
  auto m = tiny(dir);
  auto o = lora_options();
  o.modules_to_save = {"audio_codebook_embeddings", "audio_decoder_proj.audio_lm_head"};
  higgs::LoraAdapter lora(o);
  lora.attach(m);
  CHECK(lora.saved_modules() ==
        std::vector<std::string>{"audio_codebook_embeddings", "audio_decoder_proj.audio_lm_head"});
  std::set<std::string> trainable;
  for (const auto& p : m.module().named_parameters(true))
    if (p.value().requires_grad()) trainable.insert(p.key());
  CHECK(trainable.count("audio_codebook_embeddings.weight"));
  CHECK(trainable.count("audio_decoder_proj.audio_lm_head.weight"));
  CHECK_FALSE(trainable.count("embed_tokens.weight"));
  CHECK(trainable.size() == 2 + 2 * 2 * 3);

  auto m2 = tiny(dir);
  auto clash = lora_options();
  clash.target_modules = {"q_proj", "audio_lm_head"};
  higgs::LoraAdapter bad(clash);
  CHECK_THROWS_WITH(bad.attach(m2),
                    doctest::Contains("is both a LoRA target and in modules_to_save"));
  auto m3 = tiny(dir);
  auto unknown = lora_options();
  unknown.modules_to_save = {"audio_lm_haed"};
  higgs::LoraAdapter bad2(unknown);
  CHECK_THROWS_WITH(bad2.attach(m3),
                    doctest::Contains("modules_to_save entry \"audio_lm_haed\" matches no module"));
  fs::remove_all(dir);
}

namespace higgs::export_test {

TEST_CASE("trainable parameters outside the adapter are found and named in the warning") {
  auto dir = higgs_test::temp_dir("lora_outside");
  higgs_test::write_json(dir / "config.json", higgs_test::tiny_config_json());
  auto m = tiny(dir);
  auto lora = std::make_shared<LoraAdapter>(lora_options());
  lora->attach(m);
  std::vector<std::shared_ptr<Adapter>> adapters{lora};
  auto trainable_outside_adapters = [](Model& model,
                                       const std::vector<std::shared_ptr<Adapter>>& a) {
    ParameterList trained;
    for (const auto& p : model.module().named_parameters(true))
      if (p.value().requires_grad()) trained.push_back({p.key(), p.value()});
    return outside_adapters(trained, a);
  };
  // LoRA weights and modules_to_save are the adapter's own: nothing is left out.
  CHECK(trainable_outside_adapters(m, adapters).empty());
  CHECK(adapter_coverage_warning({}).empty());
  // Training layer 1's audio gate projection in full next to LoRA (freeze_pattern freeze:false).
  for (auto& p : m.module().named_parameters(true))
    if (p.key().rfind("layers.1.audio_mlp.gate_proj.", 0) == 0) p.value().requires_grad_(true);
  const auto outside = trainable_outside_adapters(m, adapters);
  CHECK(outside == std::vector<std::string>{"layers.1.audio_mlp.gate_proj.weight"});
  const std::string w = adapter_coverage_warning(outside);
  CHECK(w.find("1 trainable tensor(s) are not part of any adapter "
               "(layers.1.audio_mlp.gate_proj.weight)") == 0);
  CHECK(w.find("modules_to_save") != std::string::npos);
  // Without any adapter every trainable parameter is "outside".
  CHECK(trainable_outside_adapters(m, {}).size() > outside.size());
  fs::remove_all(dir);
}

}  // namespace higgs::export_test
