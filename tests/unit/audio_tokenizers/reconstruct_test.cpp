// `higgs-run reconstruct`: one file encoded and decoded by a test-made tiny tokenizer; the output
// has 960 samples per frame at 24 kHz and the codes file holds exactly the codes of the input.
// torch must come before doctest (glog's CHECK).
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include <cmath>

#include "components/audio/audio_io.h"
#include "components/audio_tokenizers/higgs_audio/tokenizer.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/support/test_support.h"
#include "tests/unit/audio_tokenizers/higgs_audio_fixture.h"

namespace higgs::reconstruct_test {

namespace ha = higgs::higgs_audio;
using test::run_higgs;
using test::shell_quote;

TEST_CASE("reconstruct: encode + decode one file, codes written as safetensors") {
  test::TempDir dir("reconstruct");
  const std::string tok_dir = dir.file("tok");
  std::filesystem::create_directories(tok_dir);
  test::write_text(tok_dir + "/config.json", higgs_audio_test::kTinyConfig);
  auto config = ha::TokenizerConfig::from_file(tok_dir + "/config.json");
  auto weights = ha::random_weights(config, 11);
  tensor_io::save_safetensors(tok_dir + "/model.safetensors", weights);

  // 1.3 s at 16 kHz, stereo: the command downmixes and resamples to 24 kHz first.
  const int n16 = 20800;
  std::vector<float> stereo(2 * n16);
  for (int i = 0; i < n16; ++i) {
    stereo[2 * i] = 0.4f * std::sin(0.05f * float(i));
    stereo[2 * i + 1] = 0.2f * std::sin(0.13f * float(i));
  }
  save_audio(dir.file("in.wav"), stereo, 16000, 2, AudioEncoding::kFloat32);

  auto r =
      run_higgs("reconstruct --audio-tokenizer " + shell_quote(tok_dir) + " --in " +
                shell_quote(dir.file("in.wav")) + " --out " + shell_quote(dir.file("out.wav")) +
                " --codes-out " + shell_quote(dir.file("codes.safetensors")));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);

  LoadAudioOptions lo;
  lo.target_sample_rate = 24000;
  std::vector<float> in24 = load_audio(dir.file("in.wav"), lo).samples;
  REQUIRE(in24.size() == 31200);  // ceil(20800 * 24000 / 16000)
  ha::HiggsAudioTokenizerModel model(config, weights);
  const int64_t t = model.num_frames(31200);
  CHECK(t == 33);  // floor((ceil(2 * 31200 / 3) - 80) / 640) + 1
  CHECK(r.output.find("codes: 4 x 33 frames") != std::string::npos);
  CHECK(r.output.find("31680 samples, 1.320 s at 24000 Hz") != std::string::npos);

  torch::NoGradGuard no_grad;
  at::Tensor expected = model.encode(torch::from_blob(in24.data(), {31200}, torch::kFloat32));
  auto file = tensor_io::SafetensorsFile::open(dir.file("codes.safetensors"));
  at::Tensor codes = file.tensor("codes");
  CHECK((codes.scalar_type() == at::kLong));
  REQUIRE(codes.sizes() == at::IntArrayRef({4, t}));
  CHECK(codes.equal(expected));
  CHECK(file.metadata().at("tokenizer").rfind("higgs_audio/", 0) == 0);

  AudioInfo info = probe_audio(dir.file("out.wav"));
  CHECK(info.sample_rate == 24000);
  CHECK(info.channels == 1);
  std::vector<float> out = load_audio(dir.file("out.wav")).samples;
  REQUIRE(static_cast<int64_t>(out.size()) == t * 960);
  // 16-bit PCM of decode(codes): equal to one quantisation step where nothing clipped.
  at::Tensor decoded = model.decode(codes);
  double worst = 0;
  for (int64_t i = 0; i < t * 960; ++i) {
    float ref = decoded[i].item<float>();
    if (std::abs(ref) < 0.99f) worst = std::max(worst, double(std::abs(out[i] - ref)));
  }
  CHECK(worst <= 1.0 / 32768 + 1e-6);

  auto missing =
      run_higgs("reconstruct --audio-tokenizer " + shell_quote(dir.file("nope")) + " --in " +
                shell_quote(dir.file("in.wav")) + " --out " + shell_quote(dir.file("x.wav")));
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("audio tokenizer directory not found") != std::string::npos);
  auto no_audio =
      run_higgs("reconstruct --audio-tokenizer " + shell_quote(tok_dir) + " --in " +
                shell_quote(dir.file("none.wav")) + " --out " + shell_quote(dir.file("x.wav")));
  CHECK(no_audio.exit_code == 1);
  CHECK(no_audio.output.find("none.wav") != std::string::npos);
  CHECK(run_higgs("reconstruct --in a.wav --out b.wav").exit_code == 2);
}

}  // namespace higgs::reconstruct_test
