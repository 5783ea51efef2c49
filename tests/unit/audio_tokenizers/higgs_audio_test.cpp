// Higgs audio tokenizer: config, released tensor names, strict loading, the code length rule,
// the RVQ against a brute-force search, and the registered component.
// torch must come before doctest (glog's CHECK).
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include "components/audio_tokenizers/higgs_audio/higgs_audio.h"

#include <cmath>
#include <set>
#include <sstream>

#include "framework/registry/registry.h"
#include "tests/unit/audio_tokenizers/higgs_audio_fixture.h"

using namespace higgs_audio_test;

namespace {

std::string golden(const std::string& name) {
  return std::string(HIGGS_SOURCE_DIR) + "/tests/golden/" + name;
}

ha::TokenizerConfig tiny_config() { return ha::TokenizerConfig::from_json(kTinyConfig, "tiny"); }

const ha::HiggsAudioTokenizerModel& tiny_random_model() {
  static const ha::HiggsAudioTokenizerModel m(tiny_config(), ha::random_weights(tiny_config(), 7));
  return m;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("higgs_audio: released config.json gives the released sizes") {
  auto c = ha::TokenizerConfig::from_file(golden("higgs_audio_v2_tokenizer_config.json"));
  CHECK(c.hop_length() == 960);
  CHECK(c.quantizer_dim() == 1024);
  CHECK(c.semantic_downsample_factor() == 2);
  CHECK(c.n_q == 8);
  CHECK(c.bins == 1024);
  CHECK(c.semantic_hop() == 320);
  CHECK(error_of([] {
          ha::TokenizerConfig::from_json(R"({"D": 8, "bogus": 1})", "x.json");
        }).find("\"bogus\"") != std::string::npos);
  CHECK(error_of([] {
          ha::TokenizerConfig::from_json(R"({"semantic_techer": "whisper"})", "x.json");
        }).find("not implemented") != std::string::npos);
}

TEST_CASE("higgs_audio: expected tensors are exactly the 602 of the released model.pth") {
  std::ifstream f(golden("higgs_audio_v2_tokenizer_tensors.txt"));
  std::set<std::string> released;
  std::string line;
  while (std::getline(f, line))
    if (!line.empty() && line[0] != '#') released.insert(line);
  REQUIRE(released.size() == 602);
  std::set<std::string> ours;
  for (const auto& [name, shape] : ha::HiggsAudioTokenizerModel::weight_spec({})) {
    std::string s = name + " ";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    ours.insert(s);
  }
  std::vector<std::string> only_ours, only_released;
  std::set_difference(ours.begin(), ours.end(), released.begin(), released.end(),
                      std::back_inserter(only_ours));
  std::set_difference(released.begin(), released.end(), ours.begin(), ours.end(),
                      std::back_inserter(only_released));
  CHECK(only_ours.empty());
  CHECK(only_released.empty());
  for (size_t i = 0; i < only_ours.size() && i < 5; ++i) MESSAGE("only ours: " << only_ours[i]);
  for (size_t i = 0; i < only_released.size() && i < 5; ++i)
    MESSAGE("only released: " << only_released[i]);
}

TEST_CASE(
    "higgs_audio: full-size random weights load strictly and 7.2 s gives 180 frames and 7.2 s "
    "back") {
  ha::HiggsAudioTokenizerModel m(ha::TokenizerConfig{}, ha::random_weights({}, 1));
  at::Tensor wave = torch::randn({172800}) * 0.1;
  at::Tensor codes = m.encode(wave);
  CHECK(codes.sizes() == at::IntArrayRef({8, 180}));
  CHECK(codes.min().item<int64_t>() >= 0);
  CHECK(codes.max().item<int64_t>() < 1024);
  at::Tensor out = m.decode(codes);
  CHECK(out.sizes() == at::IntArrayRef({172800}));
  CHECK(torch::isfinite(out).all().item<bool>());
}

TEST_CASE("higgs_audio: strict loading lists missing and unexpected and mis-shaped tensors") {
  ha::TensorMap w = tiny_fixture().weights;
  w.erase("encoder.block.0.bias");
  w.erase("quantizer.vq.layers.1._codebook.embed_avg");
  w["encoder.extra.weight"] = torch::zeros({3});
  w["fc_prior.bias"] = torch::zeros({7});
  std::string e = error_of([&] { ha::HiggsAudioTokenizerModel m(tiny_config(), w, {}, "x.pth"); });
  CHECK(e.find("x.pth") != std::string::npos);
  CHECK(e.find("2 missing, 1 unexpected, 1 with another shape") != std::string::npos);
  CHECK(e.find("encoder.block.0.bias") != std::string::npos);
  CHECK(e.find("quantizer.vq.layers.1._codebook.embed_avg") != std::string::npos);
  CHECK(e.find("encoder.extra.weight") != std::string::npos);
  CHECK(e.find("fc_prior.bias: expected [48], found [7]") != std::string::npos);
}

TEST_CASE("higgs_audio: weight-norm halves load under either spelling or folded") {
  const auto& fx = tiny_fixture();
  ha::TensorMap renamed;
  auto replace = [](std::string s, const std::string& a, const std::string& b) {
    auto p = s.find(a);
    return p == std::string::npos ? s : s.replace(p, a.size(), b);
  };
  for (const auto& [name, t] : fx.weights) {
    std::string n = replace(name, "parametrizations.weight.original0", "weight_g");
    n = replace(n, "parametrizations.weight.original1", "weight_v");
    if (n == name) n = replace(n, "weight_g", "parametrizations.weight.original0");
    if (n == name) n = replace(n, "weight_v", "parametrizations.weight.original1");
    renamed[n] = t;
  }
  // One conv already folded: w = g * v / ||v||, norm over dims 1 and 2.
  const std::string p = "decoder_2.model.0.";
  at::Tensor v = fx.weights.at(p + "weight_v"), g = fx.weights.at(p + "weight_g");
  renamed.erase(p + "parametrizations.weight.original0");
  renamed.erase(p + "parametrizations.weight.original1");
  renamed[p + "weight"] = g * v / v.pow(2).sum({1, 2}, true).sqrt();

  ha::HiggsAudioTokenizerModel a(fx.config, fx.weights), b(fx.config, renamed);
  at::Tensor wave = fx.results.at("wave2");
  CHECK(a.encode(wave).equal(b.encode(wave)));
  at::Tensor codes = a.encode(wave);
  // The test's own fold differs from torch's kernel by an ulp, which the random decoder amplifies.
  CHECK(rel_err(a.decode(codes), b.decode(codes)) < 1e-3);
}

TEST_CASE("higgs_audio: code length rule") {
  const auto& m = tiny_random_model();
  // Released ratios and HuBERT strides: T = floor((ceil(2N/3) - 80) / 640) + 1.
  auto closed = [](int64_t n) { return ((2 * n + 2) / 3 - 80) / 640 + 1; };
  CHECK(m.num_frames(172800) == 180);
  CHECK(m.min_samples() == 119);
  for (int64_t n = m.min_samples(); n < 400000; n += 37) {
    CAPTURE(n);
    REQUIRE(m.num_frames(n) == closed(n));
  }
  for (int64_t n : {172800, 172801, 100000, 24000, 959, 119}) {
    CAPTURE(n);
    at::Tensor codes = m.encode(torch::randn({n}) * 0.1);
    REQUIRE(codes.sizes() == at::IntArrayRef({4, closed(n)}));
    CHECK(m.decode(codes).size(0) == closed(n) * 960);
  }
  CHECK(m.decode(torch::zeros({4, 0}, torch::kLong)).size(0) == 0);
  CHECK(error_of([&] { m.encode(torch::zeros({118})); }).find("at least 119") != std::string::npos);
  CHECK(error_of([&] { m.encode(torch::zeros({2, 2000})); }).find("1-D") != std::string::npos);
  CHECK(error_of([&] {
          m.decode(torch::full({4, 3}, 64, torch::kLong));
        }).find("[0, 64)") != std::string::npos);
}

TEST_CASE("higgs_audio: RVQ codes equal a brute-force nearest-neighbour search") {
  torch::NoGradGuard ng;
  const auto& fx = tiny_fixture();
  ha::HiggsAudioTokenizerModel m(fx.config, fx.weights);
  at::Tensor e = torch::randn({2, 48, 9}) * 3;
  at::Tensor codes = m.quantizer().encode(e);  // (n_q, B, T)
  REQUIRE(codes.sizes() == at::IntArrayRef({4, 2, 9}));
  const std::string q = "quantizer.vq.layers.";
  auto wt = [&](int i, const std::string& n) {
    return fx.weights.at(q + std::to_string(i) + "." + n).to(torch::kDouble);
  };
  at::Tensor residual = e.to(torch::kDouble).permute({0, 2, 1}).reshape({18, 48});
  int ambiguous = 0;
  for (int layer = 0; layer < 4; ++layer) {
    at::Tensor emb = wt(layer, "_codebook.embed");
    at::Tensor z =
        residual.matmul(wt(layer, "project_in.weight").t()) + wt(layer, "project_in.bias");
    std::vector<int64_t> chosen;
    for (int64_t r = 0; r < 18; ++r) {
      double best = 1e300, second = 1e300;
      int64_t arg = -1;
      for (int64_t k = 0; k < emb.size(0); ++k) {
        double d = 0;
        for (int64_t j = 0; j < emb.size(1); ++j) {
          double diff = z[r][j].item<double>() - emb[k][j].item<double>();
          d += diff * diff;
        }
        if (d < best)
          second = best, best = d, arg = k;
        else if (d < second)
          second = d;
      }
      int64_t got = codes[layer][r / 9][r % 9].item<int64_t>();
      if (second - best < 1e-4 * best)
        ++ambiguous;  // a float32 tie: either answer is right
      else
        CHECK(got == arg);
      chosen.push_back(got);
    }
    at::Tensor idx = torch::tensor(chosen, torch::kLong);
    residual = residual - (emb.index_select(0, idx).matmul(wt(layer, "project_out.weight").t()) +
                           wt(layer, "project_out.bias"));
  }
  CHECK(ambiguous < 3);
}

TEST_CASE("higgs_audio: bfloat16 runs the same architecture with in-range codes") {
  const auto& fx = tiny_fixture();
  ha::RunOptions run;
  run.dtype = "bfloat16";
  ha::HiggsAudioTokenizerModel m(fx.config, fx.weights, run);
  at::Tensor w = fx.results.at("wave3");
  at::Tensor codes = m.encode(w);
  CHECK(codes.sizes() == fx.results.at("codes3").sizes());
  CHECK(codes.min().item<int64_t>() >= 0);
  CHECK(codes.max().item<int64_t>() < 64);
  at::Tensor out = m.decode(codes);
  CHECK(out.dtype() == torch::kFloat);
  CHECK(out.size(0) == codes.size(1) * 960);
  CHECK(torch::isfinite(out).all().item<bool>());
  run.dtype = "float16";
  CHECK(error_of([&] {
          ha::HiggsAudioTokenizerModel bad(fx.config, fx.weights, run);
        }).find("bfloat16") != std::string::npos);
}

TEST_CASE("higgs_audio: load_higgs_audio_tokenizer reads a directory through a loader") {
  const auto& fx = tiny_fixture();
  const std::string dir = temp_dir("load");
  std::filesystem::copy_file(fx.dir + "/config.json", dir + "/config.json",
                             std::filesystem::copy_options::overwrite_existing);
  CHECK(error_of([&] {
          ha::load_higgs_audio_tokenizer(dir, read_pickled_dict);
        }).find("neither model.safetensors nor model.pth") != std::string::npos);
  std::filesystem::copy_file(fx.dir + "/weights.pth", dir + "/model.pth",
                             std::filesystem::copy_options::overwrite_existing);
  auto m = ha::load_higgs_audio_tokenizer(dir, read_pickled_dict);
  CHECK(m->encode(fx.results.at("wave2")).equal(fx.results.at("codes2")));
  CHECK(error_of([&] {
          ha::load_higgs_audio_tokenizer(dir + "/nope", read_pickled_dict);
        }).find("not found") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("higgs_audio: registered component and AudioTokenizer interface") {
  CHECK(higgs::registry("audio_tokenizer").find("higgs_audio") != nullptr);
  const auto& fx = tiny_fixture();
  auto model = std::make_shared<ha::HiggsAudioTokenizerModel>(fx.config, fx.weights);
  higgs::HiggsAudioTokenizer tok(model, "id");
  higgs::AudioTokenizer& t = tok;
  CHECK(t.sample_rate() == 24000);
  CHECK(t.num_codebooks() == 4);
  CHECK(t.codebook_size() == 64);
  CHECK(t.hop_length() == 960);
  at::Tensor w = fx.results.at("wave1");
  CHECK(t.encode(w).equal(fx.results.at("codes1")));
  auto batch = t.encode_batch({w, fx.results.at("wave2")});
  CHECK(batch[1].equal(fx.results.at("codes2")));
  CHECK(t.decode(batch[0]).size(0) == 25 * 960);

  std::string id = ha::fingerprint(fx.config, fx.weights);
  CHECK(id.size() == 16);
  CHECK(ha::fingerprint(fx.config, fx.weights) == id);
  ha::TensorMap changed = fx.weights;
  changed["fc_prior.bias"] = changed["fc_prior.bias"].clone();
  changed["fc_prior.bias"][0] += 1e-3;
  CHECK(ha::fingerprint(fx.config, changed) != id);
}
