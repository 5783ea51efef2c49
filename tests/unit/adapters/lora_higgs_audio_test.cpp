// LoRA and freeze_modules on the real Higgs Audio v2 model (tiny config of the released
// architecture): the model's linear layers are AdaptableLinear, names follow the checkpoint.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/adapters/lora.h"
#include "components/freezing/freezing_policies.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace {

std::vector<std::string> names_where(torch::nn::Module& m, bool trainable) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters(true))
    if (p.value().requires_grad() == trainable) out.push_back(p.key());
  std::sort(out.begin(), out.end());
  return out;
}

higgs::HiggsAudioModel tiny_model(const std::string& dtype, const higgs_test::fs::path& dir) {
  higgs_test::write_json(dir / "config.json", higgs_test::tiny_config_json());
  higgs::HiggsAudioModel::Options o;
  o.path = dir.string();
  o.init = "random";
  o.seed = 5;
  o.dtype = dtype;
  return higgs::HiggsAudioModel(o, higgs::RunSettings{0, "cpu"});
}

}  // namespace

TEST_CASE("lora on higgs_audio: q/k/v/o of every layer, unchanged loss at init, LoRA-only grads") {
  auto dir = higgs_test::temp_dir("lora");
  auto model = tiny_model("float32", dir);
  auto batch = higgs_test::two_sample_batch();
  auto before = model.loss_terms(batch);
  higgs::LoraAdapter::Options o;
  o.r = 4;
  o.alpha = 8;
  higgs::LoraAdapter lora(o);
  lora.attach(model);
  std::vector<std::string> expected;
  for (const char* layer : {"0", "1"})
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"})
      for (const char* ab : {"lora_A", "lora_B"})
        expected.push_back(std::string("layers.") + layer + ".self_attn." + proj + "." + ab +
                           ".weight");
  std::vector<std::string> got;
  for (const auto& p : lora.parameters()) got.push_back(p.name);
  CHECK(got == expected);
  std::sort(expected.begin(), expected.end());
  CHECK(names_where(model.module(), true) == expected);

  model.module().eval();  // no dropout: B = 0 gives exactly the base loss
  auto after = model.loss_terms(batch);
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) CHECK(torch::equal(after[i].sum, before[i].sum));

  model.module().train();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : lora.parameters())
      if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0.0, 0.1);
  }
  auto terms = model.loss_terms(batch);
  at::Tensor loss = terms[0].sum;
  for (size_t i = 1; i < terms.size(); ++i) loss = loss + terms[i].sum;
  loss.backward();
  for (const auto& p : model.module().named_parameters(true)) {
    CAPTURE(p.key());
    const bool is_lora = p.key().find(".lora_") != std::string::npos;
    CHECK(p.value().grad().defined() == is_lora);
    if (is_lora) CHECK(p.value().grad().abs().sum().item<double>() > 0.0);
  }
  higgs_test::fs::remove_all(dir);
}

TEST_CASE("lora on a bf16 higgs_audio: fp32 adapter weights, merge/unmerge within bf16 rounding") {
  auto dir = higgs_test::temp_dir("lora_bf16");
  auto model = tiny_model("bfloat16", dir);
  higgs::LoraAdapter::Options o;
  o.r = 4;
  o.alpha = 8;
  o.dropout = 0.0;
  o.target_modules = {"q_proj", "v_proj", "audio_mlp.down_proj"};
  higgs::LoraAdapter lora(o);
  lora.attach(model);
  for (const auto& p : lora.parameters()) CHECK((p.tensor.scalar_type() == at::kFloat));
  torch::NoGradGuard no_grad;
  for (auto& p : lora.parameters())
    if (p.name.find("lora_B") != std::string::npos) p.tensor.normal_(0.0, 0.1);
  auto batch = higgs_test::two_sample_batch();
  model.module().eval();
  auto adapted = model.loss_terms(batch)[0].sum.to(at::kFloat);
  std::map<std::string, at::Tensor> base;
  for (const auto& p : model.module().named_parameters(true))
    if (p.key().find(".lora_") == std::string::npos) base[p.key()] = p.value().clone();
  lora.merge();
  auto merged = model.loss_terms(batch)[0].sum.to(at::kFloat);
  CHECK(merged.item<double>() ==
        doctest::Approx(adapted.item<double>()).epsilon(0.02));  // bf16 weights, bf16 maths
  lora.unmerge();
  for (const auto& [name, w] : base) {
    CAPTURE(name);
    auto now = model.module().named_parameters(true)[name];
    CHECK((now.scalar_type() == at::kBFloat16));
    // Each of merge and unmerge rounds to bf16 (8 bits of mantissa): within 2 ulps of |W + dW|.
    auto ulp = (w.to(at::kFloat).abs() + 0.5).mul(std::pow(2.0, -7));
    CHECK((now.to(at::kFloat) - w.to(at::kFloat)).abs().le(ulp).all().item<bool>());
  }
  higgs_test::fs::remove_all(dir);
}

TEST_CASE("freeze_modules on higgs_audio: llm is freeze_llm(), audio_path the audio part") {
  auto dir = higgs_test::temp_dir("freeze");
  auto model = tiny_model("float32", dir);
  higgs::FreezeModules::Options o;
  o.groups = {"llm", "audio_tower", "audio_encoder_proj"};
  higgs::FreezeModules(o).apply(model);
  std::vector<std::string> expected = {"norm.weight"};
  for (const char* layer : {"0", "1"})
    for (const char* s :
         {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
          "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
          "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"})
      expected.push_back(std::string("layers.") + layer + "." + s);
  std::sort(expected.begin(), expected.end());
  CHECK(names_where(model.module(), false) == expected);

  auto dir2 = higgs_test::temp_dir("freeze2");
  auto other = tiny_model("float32", dir2);
  o.groups = {"audio_path"};
  higgs::FreezeModules(o).apply(other);
  auto frozen = names_where(other.module(), false);
  CHECK(frozen.size() == 2 * 5 + 2);  // audio_mlp x3 + 2 audio norms per layer, codebooks, head
  CHECK(std::count(frozen.begin(), frozen.end(), "audio_codebook_embeddings.weight") == 1);
  CHECK(std::count(frozen.begin(), frozen.end(), "audio_decoder_proj.audio_lm_head.weight") == 1);
  higgs_test::fs::remove_all(dir);
  higgs_test::fs::remove_all(dir2);
}
