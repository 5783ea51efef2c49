#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/models/higgs_audio/audio_placeholders.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace higgs::kv_cache_test {

using namespace higgs_test;
using higgs::higgs_audio::HiggsAudioModelImpl;

// The expanded, unpadded sequence of a one-sample batch: embeddings and audio routing.
std::pair<torch::Tensor, torch::Tensor> expanded(HiggsAudioModelImpl& net, const higgs::Batch& b) {
  higgs::higgs_audio::MergeInputs mi;
  mi.input_ids = b.at("input_ids");
  mi.attention_mask = torch::ones_like(mi.input_ids);
  mi.audio_in_starts = b.at("audio_in_ids_start");
  mi.audio_in_columns = b.at("audio_in_ids").size(1);
  mi.audio_out_starts = b.at("audio_out_ids_start");
  mi.audio_out_columns = b.at("audio_out_ids").size(1);
  mi.audio_in_token = kAudioIn;
  mi.audio_out_token = kAudioOut;
  mi.pad_token = kPad;
  mi.round_to = 1;
  auto plan = higgs::higgs_audio::plan_merge(mi);
  auto e = higgs::higgs_audio::apply_merge(plan, net.embed_tokens(mi.input_ids),
                                           net.embed_audio_ids(b.at("audio_in_ids")),
                                           net.embed_audio_ids(b.at("audio_out_ids")));
  return {e, plan.audio_in_discrete_codes_mask.logical_or(plan.audio_out_mask)};
}

void check_cached_equals_training_forward(const Json& cfg_json) {
  auto cfg = higgs::HiggsAudioConfig::from_json(cfg_json);
  HiggsAudioModelImpl net(cfg);
  net.init_weights(7, 0.3);  // large weights so that every layer matters
  net.eval();
  torch::NoGradGuard ng;
  auto batch = one_sample_batch();  // audio-in run, two audio-out runs, no padding
  auto ref = net.forward(batch);    // training path: left-padded to a multiple of 8
  auto [embeds, mask] = expanded(net, batch);
  const int64_t len = embeds.size(1);
  REQUIRE(len == 24);  // 12 tokens: 3 placeholders expanded to 5 + 6 + 4 columns
  auto ref_hidden = ref.hidden.slice(1, ref.hidden.size(1) - len);

  // A prefill of 7 positions, then one position at a time through the cache.
  higgs::higgs_audio::KVCache cache;
  std::vector<torch::Tensor> parts = {
      net.forward_cached(embeds.slice(1, 0, 7), mask.slice(1, 0, 7), cache)};
  for (int64_t j = 7; j < len; ++j)
    parts.push_back(net.forward_cached(embeds.slice(1, j, j + 1), mask.slice(1, j, j + 1), cache));
  CHECK(cache.length == len);
  auto hidden = torch::cat(parts, 1);
  CHECK(max_abs_diff(hidden, ref_hidden) < 2e-5);
  CHECK(max_abs_diff(net.text_logits(hidden), ref.logits.slice(1, ref.logits.size(1) - len)) <
        2e-5);
  // Audio logits at the audio-out positions, in column order.
  higgs::higgs_audio::KVCache whole;
  auto once = net.forward_cached(embeds, mask, whole);
  CHECK(max_abs_diff(once, ref_hidden) < 2e-5);
  auto plan_out = torch::arange(len).masked_select(mask.view({-1}));
  auto cached_audio = net.audio_logits(hidden.squeeze(0)).index_select(0, plan_out.slice(0, 5));
  CHECK(max_abs_diff(cached_audio, ref.audio_logits) < 2e-5);
  // Sanity: the comparison is not vacuous (a fresh cache for the last position alone differs).
  higgs::higgs_audio::KVCache empty;
  auto alone = net.forward_cached(embeds.slice(1, len - 1), mask.slice(1, len - 1), empty);
  CHECK(max_abs_diff(alone, ref_hidden.slice(1, len - 1)) > 1e-3);
}

TEST_CASE("higgs_audio KV cache: incremental decoding equals the training forward (DualFFN)") {
  check_cached_equals_training_forward(
      tiny_config_json("dual_ffn_fast_forward", Json::array({0, 1})));
}

TEST_CASE(
    "higgs_audio KV cache: incremental decoding equals the training forward (fast-forward layer)") {
  check_cached_equals_training_forward(tiny_config_json("dual_ffn_fast_forward", Json::array({0})));
}

}  // namespace higgs::kv_cache_test
