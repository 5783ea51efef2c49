// Referee: our Qwen3 decoder layers (the Llama layer with LlamaTextConfig::qk_norm: per-head
// RMSNorm of queries and keys before RoPE, explicit head_dim, GQA, theta 1e6), the decoder body of
// Higgs Audio v3, against transformers' Qwen3Model (5.24, tests/referee/hf_qwen3_forward.py) on a
// tiny random config in fp32: the last hidden state within 1e-5.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/models/higgs_audio/layers.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/referee/referee_support.h"

namespace qwen3_layer_referee {

using namespace higgs_referee;
namespace ha = higgs::higgs_audio;

TEST_CASE("referee: Qwen3 decoder layers equal transformers' Qwen3Model within 1e-5 (fp32)") {
  fs::path dir = work_dir("qwen3-layer");
  run_referee("hf_qwen3_forward.py", quote(dir.string()), referee_hf_python());
  const Json hf = read_json(dir / "config.json");
  higgs::LlamaTextConfig c;
  c.hidden_size = hf["hidden_size"].get<int64_t>();
  c.num_hidden_layers = hf["num_hidden_layers"].get<int64_t>();
  c.num_attention_heads = hf["num_attention_heads"].get<int64_t>();
  c.num_key_value_heads = hf["num_key_value_heads"].get<int64_t>();
  c.head_dim = hf["head_dim"].get<int64_t>();
  c.intermediate_size = hf["intermediate_size"].get<int64_t>();
  c.rms_norm_eps = hf["rms_norm_eps"].get<double>();
  c.rope_theta = hf.contains("rope_theta") && hf["rope_theta"].is_number()
                     ? hf["rope_theta"].get<double>()
                     : hf["rope_parameters"]["rope_theta"].get<double>();
  c.qk_norm = true;
  REQUIRE(c.head_dim * c.num_attention_heads != c.hidden_size);  // explicit head_dim matters

  std::vector<ha::DecoderLayer> layers;
  torch::nn::ModuleList stack;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    layers.emplace_back(c, ha::LayerKind::kPlain);
    stack->push_back(layers.back());
  }
  ha::RMSNorm norm(c.hidden_size, c.rms_norm_eps);
  auto weights =
      higgs::tensor_io::SafetensorsFile::open((dir / "qwen3.safetensors").string()).tensors();
  size_t loaded = 0;
  torch::NoGradGuard no_grad;
  for (auto& item : stack->named_parameters()) {
    const std::string key = "layers." + item.key();
    torch::Tensor& p = item.value();
    REQUIRE_MESSAGE(weights.count(key), key);
    REQUIRE(weights[key].sizes() == p.sizes());
    p.copy_(weights[key]);
    ++loaded;
  }
  norm->weight.copy_(weights.at("norm.weight"));
  CHECK(loaded + 1 == weights.size());  // every tensor of transformers' decoder has a place

  auto io = higgs::tensor_io::SafetensorsFile::open((dir / "io.safetensors").string()).tensors();
  torch::Tensor x = io.at("inputs_embeds").clone(), pos = io.at("position_ids").to(torch::kLong);
  const int64_t len = x.size(1);
  ha::LayerInputs in;
  std::tie(in.cos, in.sin) = ha::rope_cos_sin(ha::rope_inv_freq(c), pos, torch::kFloat32);
  in.attn_mask =
      torch::full({len, len}, ha::mask_lowest(torch::kFloat32)).triu(1).view({1, 1, len, len});
  for (auto& layer : layers) x = layer->forward(x, in);
  x = norm(x);
  const double diff = (x - io.at("last_hidden_state")).abs().max().item<double>();
  MESSAGE("max |ours - transformers| = " << diff << " over " << x.numel() << " values");
  CHECK(diff < 1e-5);
  // The q/k norms matter: without them the output is far off.
  for (auto& layer : layers) {
    layer->self_attn->q_norm->weight.fill_(1.0);
  }
  torch::Tensor y = io.at("inputs_embeds").clone();
  for (auto& layer : layers) y = layer->forward(y, in);
  CHECK((norm(y) - io.at("last_hidden_state")).abs().max().item<double>() > 1e-3);
}

}  // namespace qwen3_layer_referee
