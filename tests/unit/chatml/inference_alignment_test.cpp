// The inference alignment check: collator settings that disagree with the model's config.json in
// a way that breaks inference are reported, one sentence each (the trainer logs them as warnings
// before training).
// clang-format off
#include <torch/torch.h>
#include <doctest/doctest.h>
// clang-format on

#include <fstream>

#include "components/audio/feature_extractor.h"
#include "components/audio/whisper_log_mel.h"
#include "components/collators/higgs_audio.h"

namespace higgs::alignment_test {

Json released_config() {
  std::ifstream in(std::string(HIGGS_SOURCE_DIR) + "/tests/golden/higgs_audio_v2_3b/config.json");
  return Json::parse(in);
}

std::vector<std::string> mismatches(HiggsAudioCollator::Options o, const Json& cfg) {
  auto ids = HiggsTokenIds::from_json(cfg, "config.json");
  std::shared_ptr<FeatureExtractor> fe;
  if (o.encode_whisper_embed) fe = std::make_shared<WhisperLogMel>(WhisperLogMel::Options{});
  return HiggsAudioCollator(o, ids, fe).inference_mismatches(cfg);
}

bool has(const std::vector<std::string>& v, const std::string& text) {
  for (const auto& s : v)
    if (s.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace higgs::alignment_test

using namespace higgs::alignment_test;

TEST_CASE("inference alignment: the released checkpoint's settings give no warning") {
  higgs::HiggsAudioCollator::Options o;  // delay on, no Whisper, audio-in codes, K from config
  CHECK(mismatches(o, released_config()).empty());
}

TEST_CASE("inference alignment: the seed's settings (delay off, Whisper on, no audio-in codes)") {
  higgs::HiggsAudioCollator::Options o;
  o.use_delay_pattern = false;
  o.encode_whisper_embed = true;
  o.return_audio_in_tokens = false;
  o.round_to = 1;
  auto w = mismatches(o, released_config());
  REQUIRE(w.size() == 3);
  CHECK(w[0] ==
        "collator.use_delay_pattern is false but the model config has use_delay_pattern=true: "
        "inference decodes delay-patterned codes, so the model will not generate what it is "
        "trained on; set collator.use_delay_pattern=true");
  CHECK(w[1] ==
        "collator.encode_whisper_embed is true but the model config has skip_audio_tower=true (no "
        "Whisper tower): the Whisper features are computed and thrown away, and inference never "
        "uses them; set collator.encode_whisper_embed=false");
  CHECK(w[2] ==
        "collator.return_audio_in_tokens is false but the model config has "
        "encode_audio_in_tokens=true: inference conditions on the reference audio's codes, "
        "training would not see them; set collator.return_audio_in_tokens=true");
}

TEST_CASE("inference alignment: codebook count, raw codes, a model with a Whisper tower") {
  auto cfg = released_config();
  higgs::HiggsAudioCollator::Options o;
  o.audio_num_codebooks = 4;
  auto w = mismatches(o, cfg);
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "collator.audio_num_codebooks is 4 but the model config has audio_num_codebooks=8: "
        "inference predicts and decodes 8 codebooks; remove collator.audio_num_codebooks (it "
        "defaults to the model's)");

  higgs::HiggsAudioCollator::Options raw;
  raw.disable_audio_codes_transform = true;
  raw.use_delay_pattern = false;  // not reported on its own: raw codes already skip the delay
  w = mismatches(raw, cfg);
  REQUIRE(w.size() == 1);
  CHECK(has(w,
            "collator.disable_audio_codes_transform is true: audio codes and labels are used as "
            "they are (no stream BOS/EOS frames, no delay pattern), so the audio labels are not "
            "the shifted [BOS, codes, EOS] stream inference generates"));

  // A config with a Whisper tower that inference feeds: training without features is reported.
  cfg["skip_audio_tower"] = false;
  cfg["encode_whisper_embed"] = true;
  w = mismatches(higgs::HiggsAudioCollator::Options{}, cfg);
  REQUIRE(w.size() == 1);
  CHECK(has(
      w,
      "the model config has a Whisper tower (skip_audio_tower=false, encode_whisper_embed=true)"));
  // And a delay-free model trained with the delay pattern is reported the other way round.
  cfg["use_delay_pattern"] = false;
  cfg["skip_audio_tower"] = true;
  w = mismatches(higgs::HiggsAudioCollator::Options{}, cfg);
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "collator.use_delay_pattern is true but the model config has use_delay_pattern=false: "
        "inference expects codes without a delay, so the model will not generate what it is "
        "trained on; set collator.use_delay_pattern=false");
}
