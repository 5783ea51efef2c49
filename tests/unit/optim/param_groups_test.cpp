// torch before doctest, or glog's CHECK silently replaces doctest's.
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include "components/optim/param_groups.h"

#include "framework/util/glob.h"

using namespace higgs;

TEST_CASE("param_groups: glob_match") {
  CHECK(glob_match("*norm*", "norm.weight"));
  CHECK(glob_match("*norm*", "layers.0.input_layernorm.weight"));
  CHECK(glob_match("*.bias", "layers.0.mlp.up_proj.bias"));
  CHECK_FALSE(glob_match("*.bias", "bias"));
  CHECK(glob_match("bias", "bias"));
  CHECK(glob_match("layers.?.mlp.*", "layers.3.mlp.down_proj.weight"));
  CHECK_FALSE(glob_match("layers.?.mlp.*", "layers.13.mlp.down_proj.weight"));
  CHECK(glob_match("*lora_B*", "layers.0.self_attn.q_proj.lora_B.weight"));
  CHECK_FALSE(glob_match("*lora_B", "layers.0.self_attn.q_proj.lora_B.weight"));
  CHECK(glob_match("*", ""));
  CHECK_FALSE(glob_match("a*b*c", "a.b"));
  CHECK(glob_match("a*b*c", "axxbyybzc"));
}

TEST_CASE("param_groups: default no-decay on the Higgs Audio v2 parameter names") {
  // Names as in the released checkpoint's model.safetensors.index.json, plus LoRA names.
  const std::vector<std::string> no_decay = {
      "embed_tokens.weight",
      "audio_codebook_embeddings.weight",
      "layers.3.input_layernorm.weight",
      "layers.3.post_attention_layernorm.weight",
      "layers.3.audio_input_layernorm.weight",
      "layers.3.audio_post_attention_layernorm.weight",
      "norm.weight",
      "layers.3.self_attn.q_proj.bias",
      "bias",
  };
  const std::vector<std::string> decay = {
      "layers.3.self_attn.q_proj.weight",        "layers.3.mlp.down_proj.weight",
      "layers.3.audio_mlp.gate_proj.weight",     "layers.3.self_attn.q_proj.lora_A.weight",
      "layers.3.self_attn.q_proj.lora_B.weight", "audio_decoder_proj.audio_lm_head.weight",
      "audio_decoder_proj.text_lm_head.weight",
  };
  ParameterList params;
  for (size_t i = 0; i < std::max(decay.size(), no_decay.size()); ++i) {
    if (i < no_decay.size()) params.push_back({no_decay[i], torch::zeros({1})});
    if (i < decay.size()) params.push_back({decay[i], torch::zeros({1})});
  }
  auto groups = make_decay_groups(params, 0.05, default_no_decay_patterns());
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].label == "decay");
  CHECK(groups[0].weight_decay == 0.05);
  CHECK(groups[1].label == "no_decay");
  CHECK(groups[1].weight_decay == 0.0);
  std::vector<std::string> got_decay, got_no_decay;
  for (const auto& p : groups[0].params) got_decay.push_back(p.name);
  for (const auto& p : groups[1].params) got_no_decay.push_back(p.name);
  CHECK(got_decay == decay);
  CHECK(got_no_decay == no_decay);
}

TEST_CASE("param_groups: custom patterns, empty groups, duplicates and tied tensors") {
  ParameterList params = {{"a.weight", torch::zeros({1})}, {"b.bias", torch::zeros({1})}};
  auto all = make_decay_groups(params, 0.1, {});
  REQUIRE(all.size() == 1);
  CHECK(all[0].label == "decay");
  CHECK(all[0].params.size() == 2);
  auto none = make_decay_groups(params, 0.1, {"*"});
  REQUIRE(none.size() == 1);
  CHECK(none[0].label == "no_decay");

  ParameterList dup = {{"a", torch::zeros({1})}, {"a", torch::zeros({1})}};
  CHECK_THROWS_WITH_AS(make_decay_groups(dup, 0.1, {}), doctest::Contains("listed twice"),
                       std::invalid_argument);
  at::Tensor shared = torch::zeros({1});
  ParameterList tied = {{"embed_tokens.weight", shared}, {"lm_head.weight", shared}};
  CHECK_THROWS_WITH_AS(make_decay_groups(tied, 0.1, {}), doctest::Contains("same tensor"),
                       std::invalid_argument);
}
