// whisper_log_mel against an independent numpy implementation (tests/python/whisper_log_mel_ref.py)
// on espeak-ng speech and synthetic signals, short and longer than the 30 s window.
#include <torch/torch.h>
// doctest after torch (glog's CHECK would otherwise replace doctest's)
#include <cmath>
#include <numeric>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "components/audio/whisper_log_mel.h"
#include "framework/registry/registry.h"
#include "tests/unit/audio/audio_fixtures.h"

using higgs::WhisperLogMel;
using higgs::audio_test::sh;
using higgs::audio_test::TempDir;

namespace {

std::vector<float> test_signal(size_t n, uint64_t seed) {
  std::vector<float> s(n);
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const double t = double(i) / 16000.0;
    const double noise = double(x >> 11) / double(1ULL << 53) - 0.5;
    // A chirp, a steady tone and a little noise, fading in: varied energy over time and bands.
    s[i] = float(0.4 * std::sin(2 * M_PI * (200.0 + 150.0 * t) * t) +
                 0.2 * std::sin(2 * M_PI * 3100.0 * t) * std::min(1.0, t) + 0.01 * noise);
  }
  return s;
}

std::vector<float> pure_tone(size_t n) {
  std::vector<float> s(n);
  for (size_t i = 0; i < n; ++i)
    s[i] = float(0.5 * std::sin(2 * M_PI * 440.0 * double(i) / 16000.0));
  return s;
}

// Runs the numpy reference on `waves`; returns {features, mask} as tensors.
std::pair<torch::Tensor, torch::Tensor> numpy_reference(
    const std::vector<std::vector<float>>& waves, int n_mels, const TempDir& dir) {
  std::vector<float> all;
  std::string lengths;
  for (const auto& w : waves) {
    all.insert(all.end(), w.begin(), w.end());
    lengths += (lengths.empty() ? "" : ",") + std::to_string(w.size());
  }
  higgs::audio_test::write_bytes(dir / "in.f32", all.data(), all.size() * sizeof(float));
  const std::string prefix = dir / ("ref" + std::to_string(n_mels));
  const std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                          "/tests/python/whisper_log_mel_ref.py " + (dir / "in.f32") + " '" +
                          lengths + "' " + prefix + " --n-mels " + std::to_string(n_mels);
  REQUIRE_MESSAGE(sh(cmd) == 0, cmd);
  auto feats = higgs::audio_test::read_bytes(prefix + ".features.f32");
  auto mask = higgs::audio_test::read_bytes(prefix + ".mask.i32");
  const int64_t n = int64_t(waves.size());
  REQUIRE(feats.size() == size_t(n * n_mels * 3000 * 4));
  REQUIRE(mask.size() == size_t(n * 3000 * 4));
  auto f = torch::from_blob(feats.data(), {n, n_mels, 3000}, torch::kFloat).clone();
  auto m = torch::from_blob(mask.data(), {n, 3000}, torch::kInt).clone();
  return {f, m};
}

}  // namespace

TEST_CASE("whisper_log_mel: matches the numpy reference (128 and 80 mels, short and long)") {
  TempDir dir("whisper");
  REQUIRE(sh("espeak-ng -w " + (dir / "s.wav") + " 'Whisper listens to this sentence.'") == 0);
  higgs::LoadAudioOptions o;
  o.target_sample_rate = 16000;
  const std::vector<float> speech = higgs::load_audio(dir / "s.wav", o).samples;

  const std::vector<std::vector<float>> waves = {
      speech,                          // ~2 s of speech
      test_signal(3 * 16000, 1),       // 3 s
      test_signal(35 * 16000 + 7, 2),  // longer than 30 s: truncated
      test_signal(480000, 3),          // exactly 30 s
      test_signal(48001, 4),           // one sample into frame 300
      {},                              // empty: all padding
      pure_tone(5 * 16000),            // a clean tone: Hann sidelobes span the 80 dB range
  };
  std::vector<at::Tensor> tensors;
  for (const auto& w : waves)
    tensors.push_back(
        torch::from_blob(const_cast<float*>(w.data()), {int64_t(w.size())}, torch::kFloat));

  for (int n_mels : {128, 80}) {
    CAPTURE(n_mels);
    WhisperLogMel::Options opt;
    opt.n_mels = n_mels;
    const WhisperLogMel fe(opt);
    CHECK(fe.sample_rate() == 16000);
    CHECK(fe.chunk_samples() == 480000);
    auto [feats, mask] = fe.extract(tensors);
    REQUIRE(feats.sizes() == torch::IntArrayRef({7, n_mels, 3000}));
    REQUIRE(mask.sizes() == torch::IntArrayRef({7, 3000}));
    CHECK((feats.scalar_type() == torch::kFloat));
    CHECK((mask.scalar_type() == torch::kInt));

    auto [ref_feats, ref_mask] = numpy_reference(waves, n_mels, dir);
    const double diff = (feats - ref_feats).abs().max().item<double>();
    MESSAGE("max |C++ - numpy| for " << n_mels << " mels: " << diff);
    CHECK(diff < 1e-4);
    CHECK(torch::equal(mask, ref_mask));

    // precision float32 (transformers' torch path) stays close to the float64 reference.
    opt.precision = "float32";
    auto [feats32, mask32] = WhisperLogMel(opt).extract(tensors);
    const double diff32 = (feats32 - ref_feats).abs().max().item<double>();
    MESSAGE("max |C++ float32 - numpy| for " << n_mels << " mels: " << diff32);
    CHECK(diff32 < 1e-3);
    CHECK(torch::equal(mask32, ref_mask));

    // Mask counts by hand: frame j is real when j * 160 < length.
    const auto counts = mask.sum(1);
    CHECK(counts[0].item<int64_t>() == int64_t((speech.size() + 159) / 160));
    CHECK(counts[1].item<int64_t>() == 300);
    CHECK(counts[2].item<int64_t>() == 3000);
    CHECK(counts[3].item<int64_t>() == 3000);
    CHECK(counts[4].item<int64_t>() == 301);
    CHECK(counts[5].item<int64_t>() == 0);
    CHECK(counts[6].item<int64_t>() == 500);
    // All padding: log10(1e-10) = -10 everywhere -> (-10 + 4) / 4.
    CHECK(feats[5].min().item<float>() == -1.5f);
    CHECK(feats[5].max().item<float>() == -1.5f);
    // The dynamic range is clamped to 8 (log10 units) below each example's peak: 2 after /4.
    for (int i : {0, 1, 2, 3, 4, 6}) {
      const float hi = feats[i].max().item<float>(), lo = feats[i].min().item<float>();
      CHECK(hi - lo <= 2.0f + 1e-6f);
    }
  }
}

TEST_CASE("whisper_log_mel: truncation, batching and the empty batch") {
  const WhisperLogMel fe;
  CHECK(fe.n_mels() == 128);
  const auto a = test_signal(35 * 16000, 9);
  auto full = torch::from_blob(const_cast<float*>(a.data()), {int64_t(a.size())}, torch::kFloat);
  // Truncating to 30 s first gives the same features: only the first 480000 samples count.
  auto [f1, m1] = fe.extract({full});
  auto [f2, m2] = fe.extract({full.narrow(0, 0, 480000).unsqueeze(0)});  // (1, T) is accepted
  CHECK(torch::equal(f1, f2));
  CHECK(torch::equal(m1, m2));
  // An example's features do not depend on its batch neighbours.
  auto [fb, mb] = fe.extract({full.narrow(0, 0, 16000), full});
  CHECK(torch::equal(fb[1], f1[0]));
  auto [e, em] = fe.extract({});
  CHECK(e.sizes() == torch::IntArrayRef({0, 128, 3000}));
  CHECK(em.sizes() == torch::IntArrayRef({0, 3000}));
  CHECK((em.scalar_type() == torch::kInt));
  CHECK_THROWS_AS(fe.extract({torch::zeros({2, 100})}), std::invalid_argument);
  WhisperLogMel::Options bad;
  bad.precision = "float16";
  CHECK_THROWS_AS(WhisperLogMel{bad}, std::invalid_argument);
  bad = {};
  bad.f_max = 9000;  // above Nyquist at 16 kHz
  CHECK_THROWS_AS(WhisperLogMel{bad}, std::invalid_argument);
}

TEST_CASE("whisper_log_mel: Slaney filterbank by hand and registration") {
  // Edges for 2 mels over 0..8000 Hz: mel(8000) = 15 + ln(8) * 27 / ln(6.4); three equal mel steps.
  const double mel_max = 15.0 + std::log(8.0) * 27.0 / std::log(6.4);
  auto to_hz = [](double m) {
    return m < 15.0 ? 200.0 * m / 3.0 : 1000.0 * std::exp(std::log(6.4) / 27.0 * (m - 15.0));
  };
  const double e0 = 0, e1 = to_hz(mel_max / 3), e2 = to_hz(2 * mel_max / 3);
  const auto w = higgs::slaney_mel_filters(2, 400, 16000, 0.0, 8000.0);
  REQUIRE(w.sizes() == torch::IntArrayRef({2, 201}));
  // Bin 10 is 400 Hz, on the rising edge of filter 0, scaled by 2 / (e2 - e0).
  CHECK(w[0][10].item<double>() == doctest::Approx(400.0 / (e1 - e0) * 2.0 / (e2 - e0)));
  CHECK(w[0][0].item<double>() == 0.0);
  CHECK(w[1][200].item<double>() == doctest::Approx(0.0));  // top edge of the last filter

  const auto* entry = higgs::registry("feature_extractor").find("whisper_log_mel");
  REQUIRE(entry != nullptr);
  CHECK(entry->description.find("Whisper") != std::string::npos);
}
