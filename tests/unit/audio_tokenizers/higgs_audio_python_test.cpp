// The C++ Higgs audio tokenizer against the independent PyTorch reference
// (tests/python/higgs_audio_tokenizer_ref.py) on the same random weights, fp32.
// torch must come before doctest (glog's CHECK).
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include "tests/unit/audio_tokenizers/higgs_audio_fixture.h"

using namespace higgs_audio_test;

namespace {

const ha::HiggsAudioTokenizerModel& tiny_model() {
  static const ha::HiggsAudioTokenizerModel m(tiny_fixture().config, tiny_fixture().weights);
  return m;
}

const at::Tensor& result(const std::string& name) { return tiny_fixture().results.at(name); }

// Codes of the reference for every waveform of a fixture, and lengths by the same rule.
void check_codes(const TinyFixture& fx) {
  ha::HiggsAudioTokenizerModel m(fx.config, fx.weights);
  for (int i = 0; i < 5; ++i) {
    at::Tensor w = fx.results.at("wave" + std::to_string(i));
    at::Tensor expected = fx.results.at("codes" + std::to_string(i));
    at::Tensor codes = m.encode(w);
    CAPTURE(i);
    CAPTURE(w.size(0));
    REQUIRE(codes.sizes() == expected.sizes());
    CHECK(codes.dtype() == torch::kLong);
    CHECK(codes.equal(expected));
    CHECK(codes.size(1) == m.num_frames(w.size(0)));
  }
}

}  // namespace

TEST_CASE("higgs_audio python: DAC encoder blocks match torch weight_norm modules") {
  torch::NoGradGuard ng;
  const auto& enc = tiny_model().acoustic_encoder();
  double e1 = rel_err(enc.block_forward(0, result("block1_in")), result("block1_out"));
  double e2 = rel_err(enc.block_forward(1, result("block2_in")), result("block2_out"));
  INFO("block1 " << e1 << " block2 " << e2);
  CHECK(e1 < 1e-5);
  CHECK(e2 < 1e-5);
}

TEST_CASE("higgs_audio python: a HuBERT layer matches torch multi-head attention") {
  torch::NoGradGuard ng;
  at::Tensor out = tiny_model().semantic_model().layer_forward(0, result("hubert_layer_in"));
  double e = rel_err(out, result("hubert_layer0_out"));
  INFO("hubert layer " << e);
  CHECK(e < 1e-5);
}

TEST_CASE("higgs_audio python: resampling 24k->16k matches torchaudio") {
  at::Tensor w = result("wave0");
  at::Tensor r = ha::resample_sinc(w.unsqueeze(0), 24000, 16000)[0];
  REQUIRE(r.size(0) == 16000);
  CHECK(rel_err(r, result("resampled0")) < 1e-6);
}

TEST_CASE("higgs_audio python: acoustic latent and semantic features match") {
  torch::NoGradGuard ng;
  const auto& m = tiny_model();
  at::Tensor w = result("wave0");
  at::Tensor ac = m.acoustic_encoder().forward(w.view({1, 1, -1}));
  double ea = rel_err(ac, result("acoustic0"));
  ha::Lengths frames;
  at::Tensor sem = m.semantic_features(w.unsqueeze(0), {w.size(0)}, &frames);
  double es = rel_err(sem, result("semantic0"));
  INFO("acoustic " << ea << " semantic " << es);
  CHECK(ea < 1e-5);
  CHECK(es < 1e-5);
  CHECK(frames == ha::Lengths{25});
}

TEST_CASE("higgs_audio python: codes equal the reference exactly with lengths by the same rule") {
  check_codes(tiny_fixture());
}

TEST_CASE("higgs_audio python: another config (strides 4-4-4-3-5 and odd pos kernel) matches too") {
  const auto& fx = odd_fixture();
  check_codes(fx);
  ha::HiggsAudioTokenizerModel m(fx.config, fx.weights);
  at::Tensor wave = m.decode(fx.results.at("codes0"));
  CHECK(rel_err(wave, fx.results.at("decoded0")) < 1e-5);
  CHECK(rel_err(m.semantic_model().layer_forward(0, fx.results.at("hubert_layer_in")),
                fx.results.at("hubert_layer0_out")) < 1e-5);
}

TEST_CASE("higgs_audio python: decode matches the reference decoder") {
  at::Tensor wave = tiny_model().decode(result("codes0"));
  REQUIRE(wave.sizes() == result("decoded0").sizes());
  double e = rel_err(wave, result("decoded0"));
  INFO("decode " << e);
  CHECK(e < 1e-5);
}

TEST_CASE("higgs_audio python: encode_batch gives each item's own codes") {
  const auto& m = tiny_model();
  std::vector<at::Tensor> waves;
  for (int i : {3, 0, 2, 4, 1}) waves.push_back(result("wave" + std::to_string(i)));
  auto batch = m.encode_batch(waves);
  REQUIRE(batch.size() == waves.size());
  for (size_t i = 0; i < waves.size(); ++i) {
    CAPTURE(i);
    at::Tensor single = m.encode(waves[i]);
    REQUIRE(batch[i].sizes() == single.sizes());
    CHECK(batch[i].equal(single));
  }
}
