// The C++ model against the independent Python reference (tests/python/higgs_reference.py) on the
// same weights and batch: expanded sequence, logits, audio logits, loss terms and gradients.
// clang-format off
#include <torch/torch.h>  // before doctest, or glog's CHECK replaces doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/models/higgs_audio/loss.h"
#include "tests/unit/models/higgs_audio_fixture.h"

using namespace higgs_test;
using higgs::HiggsAudioConfig;
using higgs::higgs_audio::HiggsAudioModel;

namespace {

HiggsAudioModel make_model(const Json& cfgj, uint64_t seed) {
  HiggsAudioModel model(HiggsAudioConfig::from_json(cfgj));
  model->init_weights(seed, 0.08);
  torch::NoGradGuard g;
  // Norm weights away from one, so a mixed-up norm shows.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 1);
  for (auto& p : model->named_parameters())
    if (p.key().find("norm.weight") != std::string::npos)
      p.value().add_(torch::randn(p.value().sizes(), gen) * 0.2);
    else if (p.key().size() > 5 && p.key().compare(p.key().size() - 5, 5, ".bias") == 0)
      p.value().add_(torch::randn(p.value().sizes(), gen) * 0.05);  // biases away from zero
  return model;
}

void compare_with_python(const Json& cfgj, const higgs::Batch& batch, const std::string& tag) {
  auto dir = temp_dir(tag);
  write_json(dir / "config.json", cfgj);
  auto model = make_model(cfgj, 7);
  higgs::higgs_audio::write_weights_pickle((dir / "weights.pt").string(), model->state_dict());
  higgs::higgs_audio::write_weights_pickle((dir / "batch.pt").string(), batch_tensors(batch));
  auto ref = run_reference("forward " + (dir / "config.json").string() + " " +
                               (dir / "weights.pt").string() + " " + (dir / "batch.pt").string(),
                           dir / "out.pt");

  auto out = model->forward(batch);
  const auto& m = out.merge;
  CHECK(torch::equal(m.attention_mask, ref["merge.attention_mask"]));
  CHECK(torch::equal(m.input_ids, ref["merge.input_ids"]));
  CHECK(torch::equal(m.labels, ref["merge.labels"]));
  CHECK(torch::equal(m.position_ids, ref["merge.position_ids"]));
  CHECK(torch::equal(m.audio_in_mask, ref["merge.audio_in_mask"]));
  CHECK(torch::equal(m.audio_in_discrete_codes_mask, ref["merge.audio_in_discrete_codes_mask"]));
  CHECK(torch::equal(m.audio_out_mask, ref["merge.audio_out_mask"]));
  REQUIRE(out.logits.sizes() == ref["logits"].sizes());
  CHECK(max_abs_diff(out.logits, ref["logits"]) < 1e-5);
  REQUIRE(out.audio_logits.sizes() == ref["audio_logits"].sizes());
  CHECK(max_abs_diff(out.audio_logits, ref["audio_logits"]) < 1e-5);
  CHECK(out.logits.abs().max().item<double>() > 0.1);  // not trivially small

  higgs::higgs_audio::LossOptions lo;
  auto terms = higgs::higgs_audio::compute_loss_terms(*model, batch, lo);
  REQUIRE(terms.size() == 1 + kBooks);
  torch::Tensor total = torch::zeros({});
  int64_t nonempty = 0;
  for (const auto& t : terms) {
    auto r = ref["loss." + t.name];
    INFO(tag << " term " << t.name);
    CHECK(t.sum.item<double>() == doctest::Approx(r[0].item<double>()).epsilon(1e-5));
    CHECK(t.count == r[1].item<int64_t>());
    CHECK(t.correct == r[2].item<int64_t>());
    nonempty += t.count > 0;
    total = total + t.sum;
  }
  CHECK(nonempty == 1 + kBooks);
  const auto counts = higgs::higgs_audio::count_targets(*model, batch);
  for (const auto& t : terms) CHECK(counts.at(t.name) == t.count);

  model->zero_grad();
  total.backward();
  int64_t compared = 0;
  for (const auto& p : model->named_parameters()) {
    INFO(tag << " grad of " << p.key());
    auto it = ref.find("grad." + p.key());
    const auto& g = p.value().grad();
    if (it == ref.end()) {
      CHECK((!g.defined() || g.abs().max().item<double>() == 0.0));
      continue;
    }
    REQUIRE(g.defined());
    const double scale = std::max(1.0, it->second.abs().max().item<double>());
    CHECK(max_abs_diff(g, it->second) / scale < 1e-5);
    ++compared;
  }
  CHECK(compared >= 10);
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("higgs_audio: forward, loss and gradients equal the Python reference") {
  SUBCASE("all layers DualFFN (released layout)") {
    compare_with_python(tiny_config_json("dual_ffn_fast_forward", Json::array({0, 1})),
                        two_sample_batch(), "all_dual");
  }
  SUBCASE("layer 1 fast-forward") {
    compare_with_python(tiny_config_json("dual_ffn_fast_forward", Json::array({0})),
                        two_sample_batch(), "fast_forward");
  }
  SUBCASE("dual_ffn with a plain Llama layer 0") {
    compare_with_python(tiny_config_json("dual_ffn", Json::array({1})), two_sample_batch(),
                        "plain_layer");
  }
  SUBCASE("audio-in codes unused when encode_audio_in_tokens is false") {
    Json j = tiny_config_json();
    j["encode_audio_in_tokens"] = false;
    compare_with_python(j, two_sample_batch(), "no_audio_in");
  }
  SUBCASE("batch of one is left padded") {
    compare_with_python(tiny_config_json(), one_sample_batch(), "left_pad");
  }
}

TEST_CASE("higgs_audio: with the Whisper audio tower, forward, loss and gradients equal Python") {
  SUBCASE("Whisper features and audio-in codes at each <|AUDIO|>") {
    compare_with_python(tower_config_json(), whisper_batch(), "tower_codes");
  }
  SUBCASE("Whisper features only (the seed recipe: return_audio_in_tokens false)") {
    compare_with_python(tower_config_json(), whisper_batch(false), "tower_only");
  }
  SUBCASE("layer 1 fast-forward: Whisper frames are text positions there") {
    Json j = tower_config_json();
    j["audio_dual_ffn_layers"] = Json::array({0});
    compare_with_python(j, whisper_batch(), "tower_ff");
  }
  SUBCASE("batch of one, left padded, partial window") {
    auto two = whisper_batch();
    auto one = one_sample_batch();
    one.tensors["audio_in_ids"] = two.tensors["audio_in_ids"].slice(1, 3, 8).clone();
    one.tensors["audio_features"] = two.tensors["audio_features"].slice(0, 1, 2).clone();
    one.tensors["audio_feature_attention_mask"] =
        two.tensors["audio_feature_attention_mask"].slice(0, 1, 2).clone();
    compare_with_python(tower_config_json(), one, "tower_left");
  }
}

TEST_CASE("higgs_audio: llama3 RoPE of the released config equals the Python reference") {
  auto dir = temp_dir("rope");
  const std::string ref_cfg = kReleasedConfig;
  auto cfg = HiggsAudioConfig::from_file(ref_cfg);
  auto pos = torch::tensor({{0, 1, 2, 7, 31, 63}}, torch::kInt64);
  higgs::higgs_audio::write_weights_pickle((dir / "pos.pt").string(), {{"position_ids", pos}});
  auto ref = run_reference("rope " + ref_cfg + " " + (dir / "pos.pt").string(), dir / "out.pt");
  auto inv = higgs::higgs_audio::rope_inv_freq(cfg.text_config);
  REQUIRE(inv.numel() == 64);
  CHECK(((inv - ref["inv_freq"]).abs() / ref["inv_freq"]).max().item<double>() < 1e-6);
  // The three llama3 regimes all occur: kept, divided by 32, and blended.
  auto base = 1.0 / torch::pow(500000.0, torch::arange(0, 128, 2).to(torch::kFloat64) / 128.0);
  auto ratio = (base / inv.to(torch::kFloat64));
  CHECK(ratio[0].item<double>() == doctest::Approx(1.0));
  CHECK(ratio[63].item<double>() == doctest::Approx(32.0));
  CHECK(((ratio > 1.01) & (ratio < 31.9)).any().item<bool>());
  auto cs = higgs::higgs_audio::rope_cos_sin(inv, pos, torch::kFloat32);
  CHECK(max_abs_diff(cs.first, ref["cos"]) < 1e-5);
  CHECK(max_abs_diff(cs.second, ref["sin"]) < 1e-5);
  fs::remove_all(dir);
}
