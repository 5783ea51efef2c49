// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "components/collators/higgs_audio.h"

namespace {

using higgs::Json;

std::vector<int64_t> flat(const at::Tensor& t) {
  at::Tensor c = t.to(torch::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace

// Random batches (text, audio-in and audio-out placeholders, trained and untrained turns,
// different lengths) collated here and by an independent Python/torch computation.
TEST_CASE("higgs_audio collator: random batches agree with tests/python/higgs_collator_ref.py") {
  namespace fs = std::filesystem;
  std::mt19937 rng(7);
  auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  higgs::HiggsTokenIds ids;
  ids.audio_num_codebooks = 4;
  ids.use_delay_pattern = true;
  std::vector<higgs::HiggsAudioCollator::Options> options;
  std::vector<std::vector<higgs::Example>> batches;
  Json cases = Json::array();
  for (int trial = 0; trial < 8; ++trial) {
    higgs::HiggsAudioCollator::Options o;
    o.round_to = std::vector<int64_t>{1, 3, 8}[trial % 3];
    o.pad_left = trial % 2 == 1;
    o.use_delay_pattern = trial % 4 != 3;
    o.return_audio_in_tokens = trial % 5 != 4;
    o.mask_audio_out_token_label = trial % 3 != 2;
    o.audio_num_codebooks = trial % 2 == 0 ? 4 : 3;
    const bool labelled = trial != 6;
    const int64_t K = 5;  // codebooks in the data; sliced to audio_num_codebooks
    std::vector<higgs::Example> batch;
    Json samples = Json::array();
    for (int b = 0, n = uni(1, 3); b < n; ++b) {
      std::vector<int64_t> input, label, starts;
      std::vector<std::vector<int64_t>> codes(K);
      int64_t total = 0;
      for (int i = 0, len = uni(1, 12); i < len; ++i) {
        int r = uni(0, 5);
        int64_t id = r == 0   ? ids.audio_in_token_idx
                     : r == 1 ? ids.audio_out_token_idx
                              : uni(0, 500);
        input.push_back(id);
        label.push_back(uni(0, 1) ? id : -100);
        if (r <= 1) {
          starts.push_back(total);
          int T = uni(0, 4);
          for (int64_t k = 0; k < K; ++k)
            for (int t = 0; t < T; ++t) codes[k].push_back(uni(0, 1023));
          total += T;
        }
      }
      higgs::Example ex;
      ex.tensors["input_ids"] = torch::tensor(input, torch::kLong);
      if (labelled) ex.tensors["label_ids"] = torch::tensor(label, torch::kLong);
      at::Tensor c = torch::zeros({K, total}, torch::kLong);
      for (int64_t k = 0; k < K; ++k)
        for (int64_t t = 0; t < total; ++t) c[k][t] = codes[k][t];
      ex.tensors["audio_ids_concat"] = c;
      ex.tensors["audio_ids_start"] = torch::tensor(starts, torch::kLong);
      batch.push_back(ex);
      samples.push_back({{"input_ids", input},
                         {"label_ids", labelled ? Json(label) : Json(nullptr)},
                         {"codes", codes},
                         {"starts", starts}});
    }
    Json spec = {{"ids",
                  {{"audio_in", ids.audio_in_token_idx},
                   {"audio_out", ids.audio_out_token_idx},
                   {"pad", ids.pad_token_id},
                   {"bos", 1024},
                   {"eos", 1025}}},
                 {"opts",
                  {{"num_codebooks", *o.audio_num_codebooks},
                   {"delay", o.use_delay_pattern},
                   {"return_in", o.return_audio_in_tokens},
                   {"mask_out", o.mask_audio_out_token_label},
                   {"round_to", o.round_to},
                   {"pad_left", o.pad_left}}},
                 {"samples", samples}};
    cases.push_back(spec);
    options.push_back(o);
    batches.push_back(batch);
  }
  fs::path in =
      fs::temp_directory_path() / ("higgs_collator_py_" + std::to_string(::getpid()) + ".json");
  fs::path out = in.string() + ".out";
  std::ofstream(in) << cases.dump();
  std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                    "/tests/python/higgs_collator_ref.py " + in.string() + " > " + out.string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  Json wants = Json::parse(std::ifstream(out));
  fs::remove(in);
  fs::remove(out);
  REQUIRE(wants.size() == batches.size());
  for (size_t trial = 0; trial < batches.size(); ++trial) {
    const Json& want = wants[trial];
    higgs::Batch got = higgs::HiggsAudioCollator(options[trial], ids).collate(batches[trial]);
    for (const auto& [name, field] : want.items()) {
      CAPTURE(trial);
      CAPTURE(name);
      if (field.is_null()) {
        CHECK_FALSE(got.has(name));
        continue;
      }
      REQUIRE(got.has(name));
      CHECK(got.at(name).sizes().vec() == field["shape"].get<std::vector<int64_t>>());
      CHECK(flat(got.at(name)) == field["data"].get<std::vector<int64_t>>());
    }
  }
}
