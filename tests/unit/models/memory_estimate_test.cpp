// estimate_training_memory against sums worked out by hand for a small config (the comments
// show each term), and the released 3B config at its own positions limit.
#include <torch/torch.h>

#include "components/models/higgs_audio/memory_estimate.h"

#include <doctest/doctest.h>

#include "components/models/higgs_audio/config.h"

namespace memory_estimate_test {

using higgs::HiggsAudioConfig;
using higgs::TrainingMemoryInputs;

HiggsAudioConfig small_config() {
  HiggsAudioConfig c;
  c.text_config.hidden_size = 64;
  c.text_config.num_hidden_layers = 2;
  c.text_config.num_attention_heads = 4;
  c.text_config.num_key_value_heads = 2;  // head_dim 16: q 64, kv 32
  c.text_config.intermediate_size = 128;
  c.text_config.vocab_size = 1000;
  c.audio_adapter_type = "dual_ffn_fast_forward";
  c.audio_dual_ffn_layers = {0};
  c.audio_num_codebooks = 8;
  c.audio_codebook_size = 1024;  // 1026 rows with the stream BOS/EOS
  c.skip_audio_tower = true;
  return c;
}

TEST_CASE("memory estimate: each term equals the hand-computed sum") {
  HiggsAudioConfig c = small_config();
  TrainingMemoryInputs in;
  in.rows = 2;
  in.positions = 10;  // 20 tokens
  in.audio_out_frames = 5;
  auto e = higgs::estimate_training_memory(c, in);
  // Per token and layer: 4h + 2q + 4kv + 2q + 4I = 256 + 128 + 128 + 128 + 512 = 1152 elements;
  // the DualFFN layer 0 adds 4h + 4I = 768: 2 * 1152 + 768 = 3072 elements, 4 bytes, 20 tokens.
  CHECK(e.activations == doctest::Approx(20.0 * 4 * 3072));
  // Scores: rows 2 x heads 4 x 10 x 10 x 4 bytes, per layer (2 layers).
  CHECK(e.attention == doctest::Approx(2.0 * 4 * 10 * 10 * 4 * 2));
  // fp32 logits and their gradients: 20 tokens x 1000 + 2 rows x 5 frames x 8 books x 1026.
  CHECK(e.logits == doctest::Approx(8.0 * (20 * 1000 + 2 * 5 * 8 * 1026)));
  CHECK(e.weights ==
        doctest::Approx(4.0 *
                        double(higgs::model_info(c, "float32")["num_parameters"].get<int64_t>())));
  CHECK(e.total() == doctest::Approx(e.weights + e.activations + e.attention + e.logits));

  SUBCASE("bf16 halves the saved activations and scores, not the fp32 logits") {
    in.bf16 = true;
    auto b = higgs::estimate_training_memory(c, in);
    CHECK(b.activations == doctest::Approx(e.activations / 2));
    CHECK(b.attention == doctest::Approx(e.attention / 2));
    CHECK(b.logits == doctest::Approx(e.logits));
  }
  SUBCASE("gradient checkpointing keeps layer inputs and one layer") {
    in.gradient_checkpointing = true;
    auto g = higgs::estimate_training_memory(c, in);
    // 2 layer inputs of h, plus one layer with its audio FFN: 128 + 1152 + 768 = 2048 elements.
    CHECK(g.activations == doctest::Approx(20.0 * 4 * 2048));
    CHECK(g.attention == doctest::Approx(2.0 * 4 * 10 * 10 * 4));
  }
  SUBCASE("no score matrices off the math path") {
    in.attention_scores = false;
    CHECK(higgs::estimate_training_memory(c, in).attention == 0);
  }
}

TEST_CASE("memory estimate: the released 3B model at 4096 positions needs tens of GiB per row") {
  HiggsAudioConfig c = HiggsAudioConfig::from_file(std::string(HIGGS_SOURCE_DIR) +
                                                   "/tests/golden/higgs_audio_v2_3b/config.json");
  TrainingMemoryInputs in;
  in.positions = c.text_config.max_position_embeddings;
  in.bf16 = true;
  auto e = higgs::estimate_training_memory(c, in);
  const double gib = double(1LL << 30);
  // 5.8B parameters in fp32 are about 21.6 GiB; the text logits alone are 4096 x 128256 x 8 bytes.
  CHECK(e.weights / gib == doctest::Approx(21.6).epsilon(0.02));
  CHECK(e.logits >= 4096.0 * 128256 * 8);
  CHECK(e.activations > 0);
  // Doubling the rows doubles everything but the weights.
  in.rows = 2;
  auto two = higgs::estimate_training_memory(c, in);
  CHECK(two.activations == doctest::Approx(2 * e.activations));
  CHECK(two.logits == doctest::Approx(2 * e.logits));
  CHECK(two.weights == doctest::Approx(e.weights));
}

}  // namespace memory_estimate_test
