#include <torch/torch.h>

#include "components/adapters/lora.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "components/adapters/adaptable_linear.h"
#include "components/adapters/lora_linear.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/component_builder.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/support/test_support.h"
#include "tests/unit/adapters/tiny_higgs_model.h"

using higgs::LoraAdapter;
using higgs::test::TinyHiggsModel;

namespace {

LoraAdapter::Options small_options() {
  LoraAdapter::Options o;
  o.r = 4;
  o.alpha = 8;
  return o;
}

// Fills every lora_B with random values so the adapters change the output.
void randomize_b(LoraAdapter& lora, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : lora.parameters())
    if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0.0, 0.5);
}

std::pair<at::Tensor, at::Tensor> outputs(TinyHiggsModel& m) {
  torch::NoGradGuard no_grad;
  auto b = TinyHiggsModel::batch();
  return m.net->forward(b.at("ids"), b.at("audio_mask"));
}

std::vector<std::string> expected_peft_names() {
  std::vector<std::string> out;
  for (const char* layer : {"0", "1"})
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"})
      for (const char* ab : {"lora_A", "lora_B"})
        out.push_back(std::string("layers.") + layer + ".self_attn." + proj + "." + ab + ".weight");
  return out;
}

std::string attach_error(LoraAdapter::Options o) {
  TinyHiggsModel m;
  LoraAdapter lora(o);
  try {
    lora.attach(m);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("lora: PEFT parameter names, only they train, and the output starts unchanged") {
  torch::manual_seed(0);
  TinyHiggsModel model;
  auto before = outputs(model);
  LoraAdapter lora(small_options());
  lora.attach(model);

  std::vector<std::string> names;
  for (const auto& p : lora.parameters()) names.push_back(p.name);
  CHECK(names == expected_peft_names());
  auto sorted = expected_peft_names();
  std::sort(sorted.begin(), sorted.end());
  // PEFT freezes everything else: the trainable parameters of the model are the LoRA weights.
  CHECK(higgs::test::parameter_names(model.module(), /*trainable_only=*/true) == sorted);
  for (const auto& p : lora.parameters()) CHECK((p.tensor.scalar_type() == at::kFloat));

  auto after = outputs(model);  // B = 0: exactly the base model
  CHECK(torch::equal(before.first, after.first));
  CHECK(torch::equal(before.second, after.second));
  CHECK(lora.scale() == 2.0);
  CHECK(lora.adapted_modules().size() == 8);
}

TEST_CASE("lora: freeze_base=false freezes only the adapted layers' own weights") {
  TinyHiggsModel model;
  auto o = small_options();
  o.freeze_base = false;
  LoraAdapter lora(o);
  lora.attach(model);
  auto all = higgs::test::parameter_names(model.module());
  auto trainable = higgs::test::parameter_names(model.module(), true);
  std::vector<std::string> frozen;
  std::set_difference(all.begin(), all.end(), trainable.begin(), trainable.end(),
                      std::back_inserter(frozen));
  std::vector<std::string> expected;
  for (const char* layer : {"0", "1"})
    for (const char* proj : {"k_proj", "o_proj", "q_proj", "v_proj"})
      expected.push_back(std::string("layers.") + layer + ".self_attn." + proj + ".weight");
  CHECK(frozen == expected);
}

TEST_CASE("lora: outputs equal x (W + s B A)^T by hand, with alpha/r and rsLoRA scales") {
  for (bool rs : {false, true}) {
    CAPTURE(rs);
    torch::manual_seed(5);
    TinyHiggsModel model;
    auto o = small_options();
    o.r = 4;
    o.alpha = 6;
    o.use_rslora = rs;
    o.target_modules = {"layers.*.mlp.up_proj"};
    LoraAdapter lora(o);
    lora.attach(model);
    const double s = rs ? 6.0 / 2.0 : 6.0 / 4.0;
    CHECK(lora.scale() == doctest::Approx(s));
    CHECK(lora.adapted_modules() ==
          std::vector<std::string>{"layers.0.mlp.up_proj", "layers.1.mlp.up_proj"});
    randomize_b(lora, 9);
    model.module().eval();
    auto up = model.net->layers[0]->as<higgs::test::TinyLayer>()->mlp->up_proj;
    auto* lora_layer = dynamic_cast<higgs::LoraLinear*>(up->adapter().get());
    REQUIRE(lora_layer != nullptr);
    torch::NoGradGuard no_grad;
    auto x = torch::randn({3, higgs::test::TinyHiggsNet::kDim});
    auto A = lora_layer->lora_A->weight, B = lora_layer->lora_B->weight;
    auto by_hand = x.matmul((up->weight + s * B.matmul(A)).t());
    CHECK(torch::allclose(up->forward(x), by_hand, 1e-5, 1e-6));
  }
}

TEST_CASE("lora: merge gives the adapted outputs, unmerge restores the base weights") {
  torch::manual_seed(3);
  TinyHiggsModel model;
  model.module().eval();
  auto plain = outputs(model);
  std::map<std::string, at::Tensor> base;
  for (const auto& p : model.module().named_parameters()) base[p.key()] = p.value().clone();
  auto o = small_options();
  o.target_modules = {"q_proj", "v_proj", "mlp.down_proj", "audio_lm_head"};
  LoraAdapter lora(o);
  lora.attach(model);
  randomize_b(lora, 4);
  model.module().eval();
  auto adapted = outputs(model);
  CHECK_FALSE(torch::allclose(adapted.first, plain.first, 1e-3, 1e-3));

  lora.merge();
  CHECK(lora.merged());
  auto q = model.net->layers[0]->as<higgs::test::TinyLayer>()->self_attn->q_proj;
  CHECK_FALSE(q->adapter()->enabled());
  CHECK_FALSE(torch::allclose(q->weight, base["layers.0.self_attn.q_proj.weight"]));
  auto merged = outputs(model);
  CHECK(torch::allclose(merged.first, adapted.first, 1e-5, 1e-5));
  CHECK(torch::allclose(merged.second, adapted.second, 1e-5, 1e-5));
  CHECK_THROWS_WITH(lora.merge(), doctest::Contains("already merged"));

  lora.unmerge();
  for (const auto& p : model.module().named_parameters()) {
    if (!base.count(p.key())) continue;  // LoRA weights
    CAPTURE(p.key());
    CHECK(torch::allclose(p.value(), base[p.key()], 0.0, 1e-6));
  }
  CHECK(torch::allclose(outputs(model).first, adapted.first, 1e-5, 1e-5));
  CHECK(lora.adapted_modules() ==
        std::vector<std::string>{"layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj",
                                 "layers.0.mlp.down_proj", "layers.1.self_attn.q_proj",
                                 "layers.1.self_attn.v_proj", "layers.1.mlp.down_proj",
                                 "audio_decoder_proj.audio_lm_head"});
}

TEST_CASE("lora: gradients reach only lora_A and lora_B") {
  torch::manual_seed(8);
  TinyHiggsModel model;
  LoraAdapter lora(small_options());
  lora.attach(model);
  randomize_b(lora, 2);
  model.module().train();
  auto terms = model.loss_terms(TinyHiggsModel::batch());
  (terms[0].sum + terms[1].sum).backward();
  for (const auto& p : model.module().named_parameters()) {
    CAPTURE(p.key());
    const bool is_lora = p.key().find(".lora_") != std::string::npos;
    CHECK(p.value().grad().defined() == is_lora);
    if (is_lora) CHECK(p.value().grad().abs().sum().item<double>() > 0.0);
  }
}

TEST_CASE("lora: initialisation of A (kaiming-uniform or gaussian 1/r) and B = 0") {
  torch::manual_seed(1);
  TinyHiggsModel model;
  auto o = small_options();
  o.target_modules = {"gate_proj"};
  LoraAdapter lora(o);
  lora.attach(model);
  const double bound = 1.0 / std::sqrt(double(higgs::test::TinyHiggsNet::kDim));
  for (const auto& p : lora.parameters()) {
    if (p.name.find("lora_B") != std::string::npos) {
      CHECK(p.tensor.eq(0).all().item<bool>());
    } else {
      CHECK(p.tensor.abs().max().item<double>() <= bound);
      CHECK(p.tensor.abs().max().item<double>() > 0.5 * bound);
    }
  }
  CHECK(lora.peft_config()["init_lora_weights"] == true);

  auto g = small_options();
  g.init = "gaussian";
  TinyHiggsModel other;
  LoraAdapter gaussian(g);
  gaussian.attach(other);
  CHECK(gaussian.peft_config()["init_lora_weights"] == "gaussian");
  // The statistics on one wide layer: std 1/r over 8000 samples.
  torch::manual_seed(2);
  higgs::LoraLinear wide(2000, 4, /*r=*/4, 1.0, 0.0, higgs::LoraInit::kGaussian);
  auto a = wide.lora_A->weight.detach();
  CHECK(a.std().item<double>() == doctest::Approx(0.25).epsilon(0.02));
  CHECK(std::abs(a.mean().item<double>()) < 0.01);
  CHECK(wide.lora_B->weight.eq(0).all().item<bool>());
}

TEST_CASE("lora: save writes PEFT's adapter_config.json and tensor names, load is bit-exact") {
  higgs::test::TempDir dir("lora_save");
  torch::manual_seed(6);
  TinyHiggsModel model;
  auto o = small_options();
  o.base_model_name = "bosonai/higgs-audio-v2-generation-3B-base";
  LoraAdapter lora(o);
  lora.attach(model);
  randomize_b(lora, 7);
  lora.save(dir.path());

  auto config = nlohmann::json::parse(higgs::test::read_text(dir.file("adapter_config.json")));
  const auto expected = nlohmann::json::parse(R"({
    "alpha_pattern": {}, "base_model_name_or_path": "bosonai/higgs-audio-v2-generation-3B-base",
    "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
    "layers_pattern": null, "layers_to_transform": null, "lora_alpha": 8, "lora_dropout": 0.05,
    "modules_to_save": null, "peft_type": "LORA", "r": 4, "rank_pattern": {}, "revision": null,
    "target_modules": ["k_proj", "o_proj", "q_proj", "v_proj"], "task_type": null,
    "use_rslora": false})");
  CHECK(config == expected);
  CHECK(config["lora_alpha"].is_number_integer());

  auto tensors =
      higgs::tensor_io::SafetensorsFile::open(dir.file("adapter_model.safetensors")).tensors();
  std::vector<std::string> names;
  for (const auto& kv : tensors) names.push_back(kv.first);
  std::vector<std::string> expected_names;
  for (const auto& n : expected_peft_names()) expected_names.push_back("base_model.model." + n);
  std::sort(expected_names.begin(), expected_names.end());
  CHECK(names == expected_names);

  // Read back independently with numpy: header layout, dtypes, shapes and values.
  auto r = higgs::test::run_command(
      std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR + "/tests/python/read_safetensors.py " +
      higgs::test::shell_quote(dir.file("adapter_model.safetensors")));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  auto py = nlohmann::json::parse(r.output);
  CHECK(py["metadata"] == nlohmann::json{{"format", "pt"}});
  CHECK(py["tensors"].size() == 16);
  for (const auto& p : lora.parameters()) {
    const auto& t = py["tensors"]["base_model.model." + p.name];
    CAPTURE(p.name);
    CHECK(t["dtype"] == "F32");
    CHECK(t["shape"].get<std::vector<int64_t>>() == p.tensor.sizes().vec());
    CHECK(t["sum"].get<double>() == doctest::Approx(p.tensor.sum().item<double>()).epsilon(1e-6));
    CHECK(t["first"].get<double>() == p.tensor.flatten()[0].item<double>());
  }

  // A fresh model with another seed: load restores every LoRA weight and the outputs.
  model.module().eval();
  auto want = outputs(model);
  torch::manual_seed(99);
  TinyHiggsModel fresh;
  for (const auto& p : fresh.module().named_parameters())  // same base weights
    p.value().detach().copy_(model.module().named_parameters()[p.key()]);
  LoraAdapter reloaded(o);
  reloaded.attach(fresh);
  reloaded.load(dir.path());
  auto a = lora.parameters(), b = reloaded.parameters();
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(torch::equal(a[i].tensor, b[i].tensor));
  fresh.module().eval();
  CHECK(torch::equal(outputs(fresh).first, want.first));
}

TEST_CASE("lora: target_modules is written as the shortest exact suffixes and loads back") {
  higgs::test::TempDir dir("lora_regex");
  TinyHiggsModel model;
  auto o = small_options();
  o.target_modules = {"q_proj", "v_proj"};
  o.exclude_modules = {"layers.1.*"};
  LoraAdapter lora(o);
  lora.attach(model);
  CHECK(lora.adapted_modules() ==
        std::vector<std::string>{"layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj"});
  CHECK(lora.peft_config()["target_modules"] ==
        higgs::Json::array({"layers.0.self_attn.q_proj", "layers.0.self_attn.v_proj"}));
  lora.save(dir.path());
  TinyHiggsModel other;
  LoraAdapter again(o);
  again.attach(other);
  again.load(dir.path());

  // "up_proj" alone would also select audio_mlp.up_proj, which is not adapted.
  TinyHiggsModel m2;
  auto o2 = small_options();
  o2.target_modules = {"layers.*.mlp.up_proj", "o_proj", "text_lm_head"};
  LoraAdapter narrow(o2);
  narrow.attach(m2);
  CHECK(narrow.peft_config()["target_modules"] ==
        higgs::Json::array({"mlp.up_proj", "o_proj", "text_lm_head"}));

  // A PEFT config may hold a regex string instead of a list; it is full-matched.
  auto config = higgs::Json::parse(higgs::test::read_text(dir.file("adapter_config.json")));
  config["target_modules"] = R"(layers\.0\.self_attn\.(q|v)_proj)";
  higgs::test::write_text(dir.file("adapter_config.json"), config.dump(2));
  TinyHiggsModel m3;
  LoraAdapter from_regex(o);
  from_regex.attach(m3);
  from_regex.load(dir.path());

  // Recipe options that select other layers than the saved adapter are refused.
  TinyHiggsModel third;
  auto wider = small_options();
  wider.target_modules = {"q_proj", "v_proj"};
  LoraAdapter mismatch(wider);
  mismatch.attach(third);
  CHECK_THROWS_WITH(mismatch.load(dir.path()),
                    doctest::Contains("only here: layers.1.self_attn.q_proj"));
}

TEST_CASE("lora: load refuses another r, alpha, or missing and extra tensors") {
  higgs::test::TempDir dir("lora_mismatch");
  TinyHiggsModel model;
  LoraAdapter lora(small_options());
  lora.attach(model);
  lora.save(dir.path());

  TinyHiggsModel m2;
  auto o = small_options();
  o.r = 8;
  LoraAdapter other_r(o);
  other_r.attach(m2);
  CHECK_THROWS_WITH(other_r.load(dir.path()),
                    doctest::Contains("r is 4 but this adapter has 8; set the recipe's lora"));

  TinyHiggsModel m3;
  auto a = small_options();
  a.alpha = 16;
  LoraAdapter other_alpha(a);
  other_alpha.attach(m3);
  CHECK_THROWS_WITH(other_alpha.load(dir.path()), doctest::Contains("lora_alpha is 8"));

  // Drop one tensor and add a stray one.
  auto tensors =
      higgs::tensor_io::SafetensorsFile::open(dir.file("adapter_model.safetensors")).tensors();
  tensors.erase("base_model.model.layers.1.self_attn.o_proj.lora_B.weight");
  higgs::tensor_io::save_safetensors(dir.file("adapter_model.safetensors"), tensors);
  TinyHiggsModel m4;
  LoraAdapter missing(small_options());
  missing.attach(m4);
  CHECK_THROWS_WITH(
      missing.load(dir.path()),
      doctest::Contains("lacks \"base_model.model.layers.1.self_attn.o_proj.lora_B.weight\""));
  tensors["base_model.model.layers.1.self_attn.o_proj.lora_B.weight"] = torch::zeros({16, 4});
  tensors["base_model.model.layers.0.mlp.up_proj.lora_A.weight"] = torch::zeros({4, 16});
  higgs::tensor_io::save_safetensors(dir.file("adapter_model.safetensors"), tensors);
  CHECK_THROWS_WITH(missing.load(dir.path()),
                    doctest::Contains("holds tensors this adapter does not have: "
                                      "base_model.model.layers.0.mlp.up_proj.lora_A.weight"));
}

TEST_CASE(
    "lora: target errors name the pattern, suggest a spelling and explain non-linear matches") {
  auto o = small_options();
  o.target_modules = {"q_prj"};
  auto msg = attach_error(o);
  CHECK(msg.find("target_modules entry \"q_prj\" matches no module of the model") !=
        std::string::npos);
  CHECK(msg.find("did you mean \"q_proj\"") != std::string::npos);
  CHECK(msg.find("Linear layers of the model: layers.0.self_attn.q_proj") != std::string::npos);

  o.target_modules = {"mlp"};
  msg = attach_error(o);
  CHECK(msg.find("matches \"layers.0.mlp\"") != std::string::npos);
  CHECK(msg.find("which is not a linear layer") != std::string::npos);
  CHECK(msg.find("e.g. \"mlp.gate_proj\"") != std::string::npos);

  o.target_modules = {"q_proj"};
  o.exclude_modules = {"layers.7.*"};
  msg = attach_error(o);
  CHECK(msg.find("exclude_modules entry \"layers.7.*\" matches no module") != std::string::npos);

  o.exclude_modules = {"self_attn"};
  CHECK(attach_error(o).find("exclude_modules removes every targeted layer") == std::string::npos);
  o.exclude_modules = {"*.q_proj"};
  CHECK(attach_error(o).find("exclude_modules removes every targeted layer") != std::string::npos);

  // A plain torch::nn::Linear cannot be adapted: the model must use AdaptableLinear.
  struct Plain : torch::nn::Module {
    Plain() { register_module("proj", torch::nn::Linear(4, 4)); }
  } plain;
  auto p = small_options();
  p.target_modules = {"proj"};
  LoraAdapter plain_lora(p);
  CHECK_THROWS_WITH(plain_lora.attach(plain),
                    doctest::Contains("must build its linear layers as higgs::AdaptableLinear"));
}

TEST_CASE("lora: builds from recipe options through the registry") {
  const higgs::NoArgs none;
  const higgs::RegistryEntry* entry = higgs::registry("adapter").find("lora");
  REQUIRE(entry != nullptr);
  higgs::Diagnostics diags;
  auto bound = entry->make_bound();
  const higgs::Json node = {{"type", "lora"},     {"r", 2},
                            {"alpha", 4},         {"target_modules", {"o_proj"}},
                            {"init", "gaussian"}, {"dropout", 0.0}};
  higgs::OptionReader reader(node, "adapters[0]", diags);
  bound.visit(reader);
  reader.finish();
  REQUIRE(diags.empty());
  auto adapter = std::static_pointer_cast<higgs::Adapter>(bound.build(&none));
  TinyHiggsModel model;
  adapter->attach(model);
  CHECK(adapter->parameters().size() == 4);
  CHECK(adapter->parameters()[0].name == "layers.0.self_attn.o_proj.lora_A.weight");
  CHECK(adapter->parameters()[0].tensor.sizes() == torch::IntArrayRef{2, 8});

  higgs::Diagnostics bad;
  auto bound2 = entry->make_bound();
  const higgs::Json typo = {{"type", "lora"}, {"rank", 2}, {"init", "xavier"}};
  higgs::OptionReader reader2(typo, "adapters[0]", bad);
  bound2.visit(reader2);
  reader2.finish();
  CHECK(bad.size() == 2);  // unknown key "rank" and a value outside the choices
}

TEST_CASE("lora: the saved adapter reproduces the layer's output under PEFT's rules (numpy)") {
  for (bool rs : {false, true}) {
    CAPTURE(rs);
    higgs::test::TempDir dir(rs ? "lora_peft_rs" : "lora_peft");
    torch::manual_seed(21);
    TinyHiggsModel model;
    auto o = small_options();
    o.alpha = 6;
    o.use_rslora = rs;
    o.target_modules = {"mlp.up_proj", "o_proj"};
    LoraAdapter lora(o);
    lora.attach(model);
    randomize_b(lora, 22);
    lora.save(dir.path());
    model.module().eval();
    auto up = model.net->layers[1]->as<higgs::test::TinyLayer>()->mlp->up_proj;
    torch::NoGradGuard no_grad;
    auto x = torch::randn({4, higgs::test::TinyHiggsNet::kDim});
    higgs::tensor_io::save_safetensors(dir.file("fixture.safetensors"),
                                       {{"weight", up->weight}, {"x", x}, {"y", up->forward(x)}});
    auto r = higgs::test::run_command(
        std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
        "/tests/python/peft_lora_reference.py " + higgs::test::shell_quote(dir.path()) + " " +
        higgs::test::shell_quote(dir.file("fixture.safetensors")) + " layers.1.mlp.up_proj");
    REQUIRE_MESSAGE(r.exit_code == 0, r.output);
    auto py = nlohmann::json::parse(r.output);
    CHECK(py["scale"].get<double>() == doctest::Approx(lora.scale()));
    CHECK(py["scale"].get<double>() == doctest::Approx(rs ? 3.0 : 1.5));
    CHECK(py["max_abs_y"].get<double>() > 0.1);
    CHECK(py["max_abs_diff"].get<double>() < 1e-5);
  }
}

TEST_CASE(
    "lora: a saved PEFT directory alone rebuilds the adapter, exclusions and modules_to_save "
    "included") {
  higgs::test::TempDir dir("lora_peft_options");
  torch::manual_seed(11);
  TinyHiggsModel model;
  auto o = small_options();
  o.target_modules = {"q_proj", "v_proj", "down_proj"};
  o.exclude_modules = {"audio_mlp.down_proj"};
  o.modules_to_save = {"audio_codebook_embeddings"};
  o.use_rslora = true;
  LoraAdapter lora(o);
  lora.attach(model);
  randomize_b(lora, 12);
  lora.save(dir.path());

  const auto read = LoraAdapter::peft_options(dir.path());
  CHECK(read.r == 4);
  CHECK(read.alpha == 8.0);
  CHECK(read.use_rslora);
  CHECK(read.dropout == 0.0);
  // What the file says: the adapted layers as PEFT selects them, the modules saved in full.
  auto cfg = nlohmann::json::parse(higgs::test::read_text(dir.file("adapter_config.json")));
  CHECK(read.target_modules == cfg["target_modules"].get<std::vector<std::string>>());
  CHECK(read.modules_to_save == std::vector<std::string>{"audio_codebook_embeddings"});
  CHECK(read.exclude_modules.empty());  // written configs name the targets exactly

  // Built from the directory alone, on a fresh model, it loads (load() checks the same config)
  // and gives the trained adapter's outputs.
  torch::manual_seed(11);
  TinyHiggsModel fresh;
  LoraAdapter rebuilt(read);
  rebuilt.attach(fresh);
  rebuilt.load(dir.path());
  model.module().eval();  // the trained adapter's dropout off, as the rebuilt one has it
  fresh.module().eval();
  const auto want = outputs(model);
  const auto got = outputs(fresh);
  CHECK(torch::equal(want.first, got.first));
  CHECK(torch::equal(want.second, got.second));
  std::vector<std::string> names, rebuilt_names;
  for (const auto& p : lora.parameters()) names.push_back(p.name);
  for (const auto& p : rebuilt.parameters()) rebuilt_names.push_back(p.name);
  CHECK(names == rebuilt_names);

  // PEFT's own exclude_modules are kept, not dropped.
  cfg["target_modules"] = {"down_proj"};
  cfg["exclude_modules"] = {"audio_mlp.down_proj"};
  higgs::test::write_text(dir.file("adapter_config.json"), cfg.dump());
  CHECK(LoraAdapter::peft_options(dir.path()).exclude_modules ==
        std::vector<std::string>{"audio_mlp.down_proj"});

  // A regex target_modules (PEFT writes one for some models) is refused by name.
  cfg = nlohmann::json::parse(higgs::test::read_text(dir.file("adapter_config.json")));
  cfg["target_modules"] = ".*proj";
  higgs::test::write_text(dir.file("adapter_config.json"), cfg.dump());
  CHECK_THROWS_WITH(LoraAdapter::peft_options(dir.path()),
                    doctest::Contains("target_modules \".*proj\" is a regex"));
  CHECK_THROWS_WITH(LoraAdapter::peft_options(dir.file("absent")),
                    doctest::Contains("no adapter_config.json"));
}
