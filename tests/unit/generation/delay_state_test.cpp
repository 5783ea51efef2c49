#include <torch/torch.h>

#include "components/generation/delay_state.h"

#include <doctest/doctest.h>

#include "components/generation/generator.h"

namespace higgs::delay_state_test {

using generation::DelayPatternState;
using Frame = std::vector<int64_t>;
constexpr int B = 16, E = 17;  // stream BOS / EOS of a 16-code codebook

TEST_CASE("delay-pattern state machine: forced BOS frame, ramp-in, EOS ramp-out, audio_eos") {
  DelayPatternState s(4, B, E);
  CHECK(s.start() == Frame{B, B, B, B});
  struct Step {
    Frame sampled, expected;
    bool last;
  };
  // Each row: what the sampler drew, what the state machine makes of it, whether it ends.
  const std::vector<Step> steps = {
      {{1, 2, 3, 4}, {1, B, B, B}, false},  // ramp-in: codebooks > 0 not started yet
      {{5, 6, 7, 8}, {5, 6, B, B}, false},
      {{9, 10, 11, 12}, {9, 10, 11, B}, false},
      {{1, 2, 3, 4}, {1, 2, 3, 4}, false},  // all codebooks running
      {{E, 5, 6, 7}, {E, 5, 6, 7}, false},  // codebook 0 ends: 3 delays remain
      {{0, E, 1, 2}, {E, E, 1, 2}, false},  // codebook 0 forced to EOS
      {{3, 4, E, 5}, {E, E, E, 5}, false},
      {{6, 7, 8, E}, {E, E, E, E}, true},  // last delay: <|audio_eos|> follows
  };
  std::vector<at::Tensor> cols = {torch::full({4, 1}, B, torch::kLong)};
  for (size_t i = 0; i < steps.size(); ++i) {
    CAPTURE(i);
    Frame f = steps[i].sampled;
    CHECK(s.apply(f) == steps[i].last);
    CHECK(f == steps[i].expected);
    cols.push_back(torch::tensor(f, torch::kLong).view({4, 1}));
  }
  CHECK(s.num_delay() == 0);
  CHECK_FALSE(s.remaining_delays().has_value());
  // Revert, clip, drop BOS/EOS columns: the 4 frames of codes the model meant.
  auto codes = generation::codes_from_delayed(torch::cat(cols, 1), 16, true);
  auto expected =
      torch::tensor({{1, 5, 9, 1}, {6, 10, 2, 5}, {11, 3, 6, 1}, {4, 7, 2, 5}}, torch::kLong);
  CHECK(torch::equal(codes, expected));
}

TEST_CASE("delay-pattern state machine: the first codebook that samples EOS ends the lower ones") {
  DelayPatternState s(4, B, E);
  s.start();
  Frame f;
  for (int i = 0; i < 3; ++i) {
    f = {1, 2, 3, 4};
    CHECK_FALSE(s.apply(f));
  }
  f = {1, E, 3, E};  // codebooks 1 and 3 sample EOS: the reference keys on the first (1)
  CHECK_FALSE(s.apply(f));
  CHECK(f == Frame{E, E, 3, E});
  REQUIRE(s.remaining_delays().has_value());
  CHECK(*s.remaining_delays() == 2);
  f = {5, 6, 7, 8};
  CHECK_FALSE(s.apply(f));
  CHECK(f == Frame{E, E, 7, 8});
  f = {5, 6, 7, 8};
  CHECK(s.apply(f));
  CHECK(f == Frame{E, E, E, 8});
  // EOS in the last codebook alone ends the segment at once.
  s.start();
  for (int i = 0; i < 3; ++i) {
    f = {1, 2, 3, 4};
    s.apply(f);
  }
  f = {1, 2, 3, E};
  CHECK(s.apply(f));
  CHECK(f == Frame{E, E, E, E});
}

TEST_CASE("delay-pattern state machine without the delay pattern: nothing forced") {
  DelayPatternState s(3, B, E, /*use_delay_pattern=*/false);
  CHECK(s.start() == Frame{B, B, B});
  Frame f{1, 2, 3};
  CHECK_FALSE(s.apply(f));
  CHECK(f == Frame{1, 2, 3});
  f = {E, 2, 3};
  CHECK(s.apply(f));
  auto codes = generation::codes_from_delayed(
      torch::tensor({{B, 1, 4, E}, {B, 2, 5, 2}, {B, 3, 6, 3}}, torch::kLong), 16, false);
  CHECK(torch::equal(codes, torch::tensor({{1, 4}, {2, 5}, {3, 6}}, torch::kLong)));
  Frame short_frame{1, 2};
  CHECK_THROWS_WITH_AS(s.apply(short_frame), doctest::Contains("expected 3"),
                       std::invalid_argument);
}

TEST_CASE("codes_from_delayed clips stray stream ids and handles too-short output") {
  // A length-limited stream can leave stream ids in the kept columns: they are clipped to 15.
  auto delayed = torch::tensor({{B, 3, 4, 5}, {B, B, B, 6}}, torch::kLong);
  auto codes = generation::codes_from_delayed(delayed, 16, true);  // revert: [B 3 4], [B B 6]
  CHECK(torch::equal(codes, torch::tensor({{3}, {15}}, torch::kLong)));
  delayed = torch::tensor({{B, 3, 4, E, E}, {B, B, 5, 6, E}}, torch::kLong);
  codes = generation::codes_from_delayed(delayed, 16, true);  // revert (2, 4): [B 3 4 E],[B 5 6 E]
  CHECK(torch::equal(codes, torch::tensor({{3, 4}, {5, 6}}, torch::kLong)));
  CHECK(generation::codes_from_delayed(torch::zeros({4, 2}, torch::kLong), 16, true).size(1) == 0);
}

}  // namespace higgs::delay_state_test
