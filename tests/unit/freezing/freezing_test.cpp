#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/adapters/lora.h"
#include "components/freezing/freezing_policies.h"
#include "components/freezing/freezing_util.h"
#include "framework/config/diagnostics.h"
#include "framework/registry/registry.h"
#include "tests/unit/adapters/tiny_higgs_model.h"

using higgs::test::TinyHiggsModel;

namespace {

std::vector<std::string> frozen_names(torch::nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters(true))
    if (!p.value().requires_grad()) out.push_back(p.key());
  std::sort(out.begin(), out.end());
  return out;
}

// "layers.{0,1}.<suffix>" for each suffix, plus `extra`, sorted.
std::vector<std::string> per_layer(const std::vector<std::string>& suffixes,
                                   std::vector<std::string> extra = {}) {
  for (const char* layer : {"0", "1"})
    for (const auto& s : suffixes) extra.push_back(std::string("layers.") + layer + "." + s);
  std::sort(extra.begin(), extra.end());
  return extra;
}

std::vector<std::string> freeze_groups(std::vector<std::string> groups, bool embeddings = false) {
  TinyHiggsModel model;
  higgs::FreezeModules::Options o;
  o.groups = std::move(groups);
  o.freeze_embeddings = embeddings;
  higgs::FreezeModules(o).apply(model);
  return frozen_names(model.module());
}

template <class Policy>
std::string apply_error(typename Policy::Options o) {
  TinyHiggsModel model;
  try {
    Policy(o).apply(model);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("freeze_modules llm: exactly freeze_llm()'s parameters (spec 1.4)") {
  const auto llm = per_layer(
      {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
       "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
       "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"},
      {"norm.weight"});
  CHECK(llm.size() == 19);
  CHECK(freeze_groups({"llm"}) == llm);

  auto with_embed = llm;
  with_embed.push_back("embed_tokens.weight");
  std::sort(with_embed.begin(), with_embed.end());
  CHECK(freeze_groups({"llm"}, /*embeddings=*/true) == with_embed);
  CHECK(freeze_groups({"llm", "embeddings"}) == with_embed);
}

TEST_CASE("freeze_modules: text_head, embeddings, audio_path, absent audio_tower is a no-op") {
  CHECK(freeze_groups({"text_head"}) ==
        std::vector<std::string>{"audio_decoder_proj.text_lm_head.weight"});
  CHECK(freeze_groups({"embeddings"}) == std::vector<std::string>{"embed_tokens.weight"});
  CHECK(freeze_groups({"audio_path"}) ==
        per_layer(
            {"audio_mlp.gate_proj.weight", "audio_mlp.up_proj.weight", "audio_mlp.down_proj.weight",
             "audio_input_layernorm.weight", "audio_post_attention_layernorm.weight"},
            {"audio_codebook_embeddings.weight", "audio_decoder_proj.audio_lm_head.weight"}));
  CHECK(freeze_groups({"audio_tower", "audio_encoder_proj"}).empty());
}

TEST_CASE("freeze_modules leaves LoRA weights trainable and reports unknown groups") {
  TinyHiggsModel model;
  higgs::LoraAdapter::Options lo;
  lo.r = 4;  // the tiny model's narrowest targeted layer has 8 outputs
  lo.freeze_base = false;
  higgs::LoraAdapter lora(lo);
  lora.attach(model);
  higgs::FreezeModules::Options o;
  o.groups = {"llm"};
  higgs::FreezeModules(o).apply(model);
  for (const auto& p : lora.parameters()) CHECK(p.tensor.requires_grad());
  CHECK(frozen_names(model.module()).size() == 19);

  o.groups = {"lm", "audio_path"};
  CHECK_THROWS_WITH_AS(higgs::FreezeModules{o},
                       doctest::Contains("unknown group \"lm\" (did you mean \"llm\"?)"),
                       higgs::RecipeError);

  // A model without the Higgs layout: the group names what it expected.
  struct Other : torch::nn::Module {
    Other() { register_module("embed_tokens", torch::nn::Embedding(4, 2)); }
  } other;
  o.groups = {"llm"};
  CHECK_THROWS_WITH(higgs::FreezeModules(o).apply(other),
                    doctest::Contains("group \"llm\" expects parameters under layers.*.self_attn, "
                                      "but the model has none"));
}

TEST_CASE("freeze_pattern: globs over modules and parameters, regexes, and unfreezing") {
  TinyHiggsModel model;
  higgs::FreezePattern::Options o;
  o.patterns = {"layers.*.mlp"};  // the text FFN of each layer, not audio_mlp
  higgs::FreezePattern(o).apply(model);
  CHECK(frozen_names(model.module()) ==
        per_layer({"mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"}));

  o.patterns = {"layers.1.mlp.up_proj.weight"};
  o.freeze = false;
  higgs::FreezePattern(o).apply(model);
  CHECK(frozen_names(model.module()) ==
        std::vector<std::string>{"layers.0.mlp.down_proj.weight", "layers.0.mlp.gate_proj.weight",
                                 "layers.0.mlp.up_proj.weight", "layers.1.mlp.down_proj.weight",
                                 "layers.1.mlp.gate_proj.weight"});

  TinyHiggsModel other;
  higgs::FreezePattern::Options r;
  r.regex = true;
  r.patterns = {R"(layers\.1\..*_proj)"};
  higgs::FreezePattern(r).apply(other);
  CHECK(frozen_names(other.module()).size() == 10);  // 4 attention + 2 x 3 FFN projections
  for (const auto& n : frozen_names(other.module())) CHECK(n.rfind("layers.1.", 0) == 0);
}

TEST_CASE("train_only: only what the patterns select stays trainable") {
  TinyHiggsModel model;
  higgs::LoraAdapter::Options lo;
  lo.r = 4;  // the tiny model's narrowest targeted layer has 8 outputs
  lo.freeze_base = false;
  higgs::LoraAdapter lora(lo);
  lora.attach(model);
  higgs::TrainOnly::Options o;
  o.patterns = {"*lora_*", "audio_decoder_proj.audio_lm_head"};
  higgs::TrainOnly(o).apply(model);
  std::vector<std::string> expected = {"audio_decoder_proj.audio_lm_head.weight"};
  for (const auto& p : lora.parameters()) expected.push_back(p.name);
  std::sort(expected.begin(), expected.end());
  CHECK(higgs::test::parameter_names(model.module(), /*trainable_only=*/true) == expected);
  // Frozen parameters become trainable again when selected.
  o.patterns = {"norm"};
  higgs::TrainOnly(o).apply(model);
  CHECK(higgs::test::parameter_names(model.module(), true) ==
        std::vector<std::string>{"norm.weight"});
}

TEST_CASE("freezing: a pattern that selects nothing is an error naming it, with a suggestion") {
  higgs::FreezePattern::Options o;
  o.patterns = {"layers.*.mlp", "layers.*.mlpp"};
  auto msg = apply_error<higgs::FreezePattern>(o);
  CHECK(msg.find("freeze_pattern: pattern \"layers.*.mlpp\" matches no parameter or module of "
                 "the model (did you mean \"layers.*.mlp\"?)") != std::string::npos);
  CHECK(msg.find("\"layers.*.mlp\" matches") == std::string::npos);

  higgs::TrainOnly::Options t;
  t.patterns = {"audio_decoder_proj.text_lm_hed"};
  CHECK(apply_error<higgs::TrainOnly>(t).find("did you mean \"audio_decoder_proj.text_lm_head\"") !=
        std::string::npos);

  higgs::FreezePattern::Options bad;
  bad.regex = true;
  bad.patterns = {"layers.(0"};
  CHECK(apply_error<higgs::FreezePattern>(bad).find("pattern \"layers.(0\" is not a valid regex") !=
        std::string::npos);
}

TEST_CASE("freezing: summary groups and trainable counts") {
  using higgs::freezing::summary_group;
  CHECK(summary_group("layers.3.self_attn.q_proj.weight") == "layers.*.self_attn");
  CHECK(summary_group("layers.3.self_attn.q_proj.lora_A.weight") == "layers.*.self_attn");
  CHECK(summary_group("layers.12.input_layernorm.weight") == "layers.*.input_layernorm");
  CHECK(summary_group("audio_decoder_proj.text_lm_head.weight") ==
        "audio_decoder_proj.text_lm_head");
  CHECK(summary_group("norm.weight") == "norm");
  CHECK(summary_group("weight") == "weight");

  TinyHiggsModel model;
  higgs::FreezeModules::Options o;
  o.groups = {"llm"};
  higgs::FreezeModules(o).apply(model);
  auto counts = higgs::freezing::count_trainable(model.module());
  using Net = higgs::test::TinyHiggsNet;
  const int64_t d = Net::kDim, kv = Net::kKv, ff = Net::kFf;
  const int64_t attn = 3 * d * kv + kv * d, mlp = 3 * d * ff, norms = 4 * d;
  const int64_t total = Net::kVocab * d + 2 * (attn + 2 * mlp + norms) + d + Net::kAudioVocab * d +
                        Net::kVocab * d + Net::kAudioVocab * d;
  const int64_t frozen = 2 * (attn + mlp + 2 * d) + d;
  CHECK(counts[""].total == total);
  CHECK(counts[""].trainable == total - frozen);
  CHECK(counts["layers.*.self_attn"].total == 2 * attn);
  CHECK(counts["layers.*.self_attn"].trainable == 0);
  CHECK(counts["layers.*.audio_mlp"].trainable == 2 * mlp);
}

TEST_CASE("freezing policies are registered") {
  for (const char* name : {"freeze_modules", "freeze_pattern", "train_only"})
    CHECK(higgs::registry("freezing").find(name) != nullptr);
}
