// clang-format off
#include <torch/torch.h>  // before doctest: glog's CHECK would replace doctest's
#include <doctest/doctest.h>
// clang-format on

#include "components/chatml/delay_pattern.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "framework/config/config.h"
namespace {
at::Tensor t2(std::vector<std::vector<int64_t>> rows) {
  std::vector<at::Tensor> r;
  for (auto& row : rows) r.push_back(torch::tensor(row, torch::kLong));
  return torch::stack(r);
}
}  // namespace

TEST_CASE("delay_pattern: build with bos/pad fill, the utils.py docstring example") {
  // 4 codebooks, 2 frames: a..h = 1..8, B = 100, P = 200.
  at::Tensor in = t2({{1, 2}, {3, 4}, {5, 6}, {7, 8}}).unsqueeze(0);
  auto d = higgs::build_delay_pattern_mask(in, 100, 200);
  CHECK((d.ids.sizes() == at::IntArrayRef({1, 4, 5})));
  at::Tensor want = t2(
      {{1, 2, 200, 200, 200}, {100, 3, 4, 200, 200}, {100, 100, 5, 6, 200}, {100, 100, 100, 7, 8}});
  CHECK(torch::equal(d.ids[0], want));
  at::Tensor want_gen =
      t2({{1, 2, -1, -1, -1}, {100, 3, 4, -1, -1}, {100, 100, 5, 6, -1}, {100, 100, 100, 7, 8}});
  CHECK(torch::equal(d.ids_with_gen_mask[0], want_gen));
  CHECK((d.ids.scalar_type() == torch::kLong));
}

TEST_CASE("delay_pattern: batch of two, -100 fill, and revert gives the input back") {
  at::Tensor in = torch::arange(2 * 3 * 4, torch::kLong).reshape({2, 3, 4});
  auto d = higgs::build_delay_pattern_mask(in, -100, -100);
  REQUIRE((d.ids.sizes() == at::IntArrayRef({2, 3, 6})));
  // Second sample, codebook 2: two -100, then 20..23.
  CHECK(torch::equal(d.ids[1][2], torch::tensor({-100, -100, 20, 21, 22, 23}, torch::kLong)));
  CHECK(torch::equal(d.ids[1][0], torch::tensor({12, 13, 14, 15, -100, -100}, torch::kLong)));
  for (int b = 0; b < 2; ++b) CHECK(torch::equal(higgs::revert_delay_pattern(d.ids[b]), in[b]));
}

TEST_CASE("delay_pattern: one codebook is unchanged, revert rejects a too short input") {
  at::Tensor in = torch::tensor({{{5, 6, 7}}}, torch::kLong);
  CHECK(torch::equal(higgs::build_delay_pattern_mask(in, 1, 2).ids, in));
  CHECK_THROWS(higgs::revert_delay_pattern(torch::zeros({4, 2}, torch::kLong)));
  CHECK_THROWS(higgs::build_delay_pattern_mask(torch::zeros({4, 2}, torch::kLong), 0, 0));
}

TEST_CASE("delay_pattern: random codes agree with an independent torch computation (Python)") {
  namespace fs = std::filesystem;
  torch::manual_seed(3);
  at::Tensor codes = torch::randint(0, 1024, {2, 8, 13}, torch::kLong);
  higgs::Json spec = {{"bos", 1024}, {"pad", 1025}, {"codes", higgs::Json::array()}};
  for (int64_t b = 0; b < 2; ++b) {
    higgs::Json rows = higgs::Json::array();
    for (int64_t k = 0; k < 8; ++k) {
      auto r = codes[b][k].contiguous();
      rows.push_back(std::vector<int64_t>(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + 13));
    }
    spec["codes"].push_back(rows);
  }
  fs::path in = fs::temp_directory_path() / ("higgs_delay_" + std::to_string(::getpid()) + ".json");
  fs::path out = in.string() + ".out";
  std::ofstream(in) << spec.dump();
  std::string cmd = std::string(HIGGS_PYTHON) + " " + HIGGS_SOURCE_DIR +
                    "/tests/python/delay_pattern_ref.py " + in.string() + " > " + out.string();
  REQUIRE(std::system(cmd.c_str()) == 0);
  higgs::Json got = higgs::Json::parse(std::ifstream(out));
  auto d = higgs::build_delay_pattern_mask(codes, 1024, 1025);
  REQUIRE((d.ids.sizes() == at::IntArrayRef({2, 8, 20})));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t k = 0; k < 8; ++k)
      for (int64_t j = 0; j < 20; ++j) {
        CHECK(d.ids[b][k][j].item<int64_t>() == got["ids"][b][k][j].get<int64_t>());
        CHECK(d.ids_with_gen_mask[b][k][j].item<int64_t>() == got["gen"][b][k][j].get<int64_t>());
      }
  fs::remove(in);
  fs::remove(out);
}
