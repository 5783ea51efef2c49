// The Transformers higgs_audio_v2 layout: every tensor name of the released 3B model maps there
// and back, the config maps there and back to the same model, and a model the port cannot hold
// is refused saying why. The port itself loads our export in tests/referee/model_referee_test.cpp.
#include <torch/torch.h>

#include "components/models/higgs_audio/transformers_port.h"

#include <doctest/doctest.h>

#include "components/models/higgs_audio/config.h"

namespace transformers_port_test {

using higgs::HiggsAudioConfig;
using higgs::Json;

const std::string kReleased =
    std::string(HIGGS_SOURCE_DIR) + "/tests/golden/higgs_audio_v2_3b/config.json";

TEST_CASE("transformers port layout: names and config of the released model round-trip") {
  HiggsAudioConfig cfg = HiggsAudioConfig::from_file(kReleased);
  Json info = higgs::model_info(cfg, "float32");
  int64_t n = 0;
  for (const auto& t : info["tensors"]) {
    const std::string name = t["name"].get<std::string>();
    const std::string port = higgs::transformers_port_tensor_name(name);
    CHECK(higgs::released_tensor_name(port) == name);
    ++n;
  }
  CHECK(n == 28 * 14 + 5);  // 28 DualFFN layers of 14 tensors, embeddings, norm and the two heads
  CHECK(higgs::transformers_port_tensor_name("audio_codebook_embeddings.weight") ==
        "model.embed_audio_tokens.embed_audio_tokens.weight");
  CHECK(higgs::transformers_port_tensor_name("layers.3.audio_mlp.up_proj.weight") ==
        "model.layers.3.audio_mlp.up_proj.weight");
  CHECK(higgs::transformers_port_tensor_name("audio_decoder_proj.text_lm_head.weight") ==
        "text_lm_head.weight");

  Json port = higgs::transformers_port_config(cfg);
  CHECK(port["model_type"] == "higgs_audio_v2");
  CHECK(port["codebook_size"] == 1026);
  CHECK(port["num_codebooks"] == 8);
  CHECK(port["audio_token_id"] == 128016);
  CHECK(port["rope_parameters"]["rope_type"] == "llama3");
  HiggsAudioConfig back = HiggsAudioConfig::from_json(port, "port config.json");
  CHECK(back.text_config.hidden_size == cfg.text_config.hidden_size);
  CHECK(back.text_config.num_hidden_layers == cfg.text_config.num_hidden_layers);
  CHECK(back.text_config.vocab_size == cfg.text_config.vocab_size);
  CHECK(back.audio_codebook_size == cfg.audio_codebook_size);
  CHECK(back.audio_dual_ffn_layers.size() == size_t(cfg.text_config.num_hidden_layers));
  CHECK(higgs::model_info(back, "float32")["tensors"] == info["tensors"]);  // the same network
}

TEST_CASE("transformers port layout: a model with a fast-forward layer is refused, naming it") {
  HiggsAudioConfig cfg = HiggsAudioConfig::from_file(kReleased);
  cfg.audio_dual_ffn_layers.pop_back();
  CHECK_THROWS_WITH(
      higgs::transformers_port_config(cfg),
      doctest::Contains("layer 27 is not a DualFFN layer (every layer of the port is one)"));
}

}  // namespace transformers_port_test
