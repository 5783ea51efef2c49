// Referee 5: our generator against Boson's HiggsAudioModel.generate (boson-multimodal 0.1.1) on a
// tiny random model with the real tokenizer, from the same zero-shot prompt (a reference turn
// with audio-out codes, the target text, <|audio_out_bos|> forced): greedy decoding, greedy with
// RAS (whose re-draws use the seeded generator) and seeded sampling with temperature, top-k, top-p
// and RAS. Every generated column (BOS frame, delay ramp-in, frames, EOS ramp-out) is equal, up
// to the step that emits <|audio_eos|> (or the length limit, 400 columns, in both); at least one
// run is >= 100 frames.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/generation/generator.h"
#include "components/models/higgs_audio/higgs_audio.h"
#include "components/text/llama3_bpe.h"
#include "tests/referee/referee_support.h"

namespace generation_referee {

using namespace higgs_referee;
namespace gen = higgs::generation;

Json generation_config() {
  Json text = {{"hidden_size", 64},
               {"num_hidden_layers", 3},
               {"num_attention_heads", 4},
               {"num_key_value_heads", 2},
               {"head_dim", 16},
               {"intermediate_size", 96},
               {"hidden_act", "silu"},
               {"rms_norm_eps", 1e-5},
               {"vocab_size", 128256},
               {"max_position_embeddings", 4096},
               {"rope_theta", 500000.0},
               {"rope_scaling",
                {{"rope_type", "llama3"},
                 {"factor", 8.0},
                 {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0},
                 {"original_max_position_embeddings", 1024}}},
               {"attention_bias", false},
               {"mlp_bias", false},
               {"model_type", "llama"}};
  return {{"model_type", "higgs_audio"},
          {"audio_adapter_type", "dual_ffn_fast_forward"},
          {"audio_dual_ffn_layers", {0, 2}},
          {"audio_num_codebooks", 8},
          {"audio_codebook_size", 1024},
          {"audio_stream_bos_id", 1024},
          {"audio_stream_eos_id", 1025},
          {"audio_in_token_idx", 128015},
          {"audio_out_token_idx", 128016},
          {"audio_out_bos_token_id", 128013},
          {"audio_eos_token_id", 128012},
          {"pad_token_id", 128001},
          {"encode_audio_in_tokens", true},
          {"encode_whisper_embed", false},
          {"skip_audio_tower", true},
          {"use_delay_pattern", true},
          {"audio_encoder_config", {{"init_std", 0.02}}},
          {"text_config", text}};
}

std::vector<std::vector<int64_t>> rows(const at::Tensor& t) {
  std::vector<std::vector<int64_t>> out;
  at::Tensor c = t.to(torch::kLong).contiguous();
  for (int64_t k = 0; k < c.size(0); ++k)
    out.emplace_back(c[k].data_ptr<int64_t>(), c[k].data_ptr<int64_t>() + c.size(1));
  return out;
}

struct Run {
  const char* name;
  double temperature;  // <= 0: greedy
  int64_t top_k;
  double top_p;
  int64_t ras_window;  // 0: off
  uint64_t seed;
};

// The zero-shot prompt both generation tests decode: one reference turn with 20 frames of codes.
gen::PromptSpec referee_prompt() {
  gen::PromptSpec spec;
  spec.references.push_back(
      {"This is the reference voice speaking.",
       torch::randint(0, 1024, {8, 20}, at::make_generator<at::CPUGeneratorImpl>(4))});
  spec.text = "Hello there, this is the target sentence.";
  return spec;
}

TEST_CASE(
    "referee: generated audio columns equal Boson's generate (greedy, RAS, seeded sampling)") {
  fs::path dir = work_dir("generation");
  higgs::HiggsAudioModel::Options mo;
  mo.path = build_boson_model(generation_config(), dir, 7);
  higgs::HiggsAudioModel model(mo, higgs::RunSettings{0, "cpu"});
  const std::string tokenizer = higgs_tokenizer_json();
  higgs::Llama3BpeTokenizer tok(tokenizer);
  const gen::PromptSpec spec = referee_prompt();
  int64_t longest = 0;
  for (const Run& run : {Run{"greedy", 0.0, 0, 1.0, 0, 0}, Run{"greedy_ras", 0.0, 0, 1.0, 7, 5},
                         Run{"sampled_ras", 0.7, 50, 0.95, 7, 99},
                         Run{"sampled_seed_1234", 0.7, 50, 0.95, 7, 1234}}) {
    const std::string name = run.name;
    CAPTURE(name);
    gen::GenerateOptions go;
    go.force_audio = true;
    go.max_frames = 400;
    go.sampling.temperature = run.temperature;
    go.sampling.top_k = run.top_k;
    go.sampling.top_p = run.top_p;
    go.sampling.ras_window = run.ras_window;
    go.sampling.ras_max_repeat = 2;
    go.seed = run.seed;
    gen::VoiceCloneGenerator generator(model.net(), tok, nullptr, go);
    higgs::Batch prompt = generator.prompt_batch(spec);
    std::vector<int64_t> ids(
        prompt.at("input_ids").data_ptr<int64_t>(),
        prompt.at("input_ids").data_ptr<int64_t>() + prompt.at("input_ids").numel());
    Json p = {{"input_ids", ids},
              {"audio_out_ids", rows(prompt.at("audio_out_ids"))},
              {"audio_out_ids_start", {0}},
              {"max_new_tokens", go.max_frames},
              {"do_sample", run.temperature > 0},
              {"temperature", run.temperature > 0 ? run.temperature : 1.0},
              {"top_k", run.top_k > 0 ? Json(run.top_k) : Json(nullptr)},
              {"top_p", run.top_p},
              {"ras_win_len", run.ras_window},
              {"ras_win_max_num_repeat", go.sampling.ras_max_repeat},
              {"seed", run.seed},
              {"force_audio", false},  // the prompt already ends with <|audio_out_bos|>
              {"stop_at_audio_eos", true}};
    const fs::path pj = dir / (std::string(run.name) + ".prompt.json"),
                   oj = dir / (std::string(run.name) + ".boson.json");
    std::ofstream(pj) << p.dump();
    run_referee("boson_generate.py", quote((dir / "model").string()) + " " + quote(tokenizer) +
                                         " " + quote(pj.string()) + " " + quote(oj.string()));
    Json boson = read_json(oj);
    REQUIRE(boson["prompt_ids"].get<std::vector<int64_t>>() == ids);

    gen::ChunkResult ours = generator.generate_chunk(spec);
    auto want = boson["audio_codes"].get<std::vector<std::vector<int64_t>>>();
    REQUIRE(want.size() == 8);
    auto got = rows(ours.delayed);
    const size_t n = want[0].size();
    size_t same = 0;
    while (same < std::min(n, got[0].size())) {
      bool eq = true;
      for (size_t k = 0; k < 8; ++k) eq = eq && got[k][same] == want[k][same];
      if (!eq) break;
      ++same;
    }
    CHECK_MESSAGE(got[0].size() == n, "ours " << got[0].size() << " columns, Boson's " << n);
    CHECK_MESSAGE(same == n, "the first " << same << " of " << n << " columns are equal");
    // Both end the audio by themselves, or both at the length limit (Boson's max_new_tokens counts
    // every step from the BOS frame on, as our max_frames counts columns).
    if (boson["stopped_by"] == "audio_eos")
      CHECK(ours.stop == gen::StopReason::kAudioEos);
    else
      CHECK((boson["stopped_by"] == "length" && ours.stop == gen::StopReason::kMaxFrames));
    MESSAGE(std::string(run.name) << ": " << n << " columns (" << boson["num_frames"].get<int64_t>()
                                  << " frames) equal to Boson's; stopped by "
                                  << std::string(gen::stop_reason_name(ours.stop)));
    longest = std::max<int64_t>(longest, boson["num_frames"].get<int64_t>());
  }
  CHECK(longest >= 100);
}

}  // namespace generation_referee

namespace generation_continuation_referee {

using namespace higgs_referee;
namespace gen = higgs::generation;

// continue_after_audio_eos against Boson's generate left to run: after the first segment's
// <|audio_eos|> both go on in text mode (and open further segments when the model emits
// <|audio_out_bos|>). Boson's generated ids after its first <|AUDIO_OUT|> equal our continuation
// and every audio column of every segment is equal, up to where the shorter run stopped (Boson
// counts every step against max_new_tokens).
TEST_CASE("referee: continue_after_audio_eos follows Boson's generate past <|audio_eos|>") {
  fs::path dir = work_dir("generation-continue");
  higgs::HiggsAudioModel::Options mo;
  mo.path = build_boson_model(generation_referee::generation_config(), dir, 7);
  higgs::HiggsAudioModel model(mo, higgs::RunSettings{0, "cpu"});
  const std::string tokenizer = higgs_tokenizer_json();
  higgs::Llama3BpeTokenizer tok(tokenizer);
  const gen::PromptSpec spec = generation_referee::referee_prompt();
  gen::GenerateOptions go;
  go.force_audio = true;
  go.max_frames = 400;
  go.max_text_tokens = 300;
  go.sampling.temperature = 0.0;
  go.sampling.ras_window = 0;
  go.continue_after_audio_eos = true;
  gen::VoiceCloneGenerator generator(model.net(), tok, nullptr, go);
  higgs::Batch prompt = generator.prompt_batch(spec);
  std::vector<int64_t> ids(
      prompt.at("input_ids").data_ptr<int64_t>(),
      prompt.at("input_ids").data_ptr<int64_t>() + prompt.at("input_ids").numel());
  Json p = {{"input_ids", ids},
            {"audio_out_ids", generation_referee::rows(prompt.at("audio_out_ids"))},
            {"audio_out_ids_start", {0}},
            {"max_new_tokens", 200},
            {"do_sample", false},
            {"ras_win_len", 0},
            {"seed", 0},
            {"force_audio", false}};
  std::ofstream(dir / "prompt.json") << p.dump();
  run_referee("boson_generate.py", quote((dir / "model").string()) + " " + quote(tokenizer) + " " +
                                       quote((dir / "prompt.json").string()) + " " +
                                       quote((dir / "boson.json").string()));
  Json boson = read_json(dir / "boson.json");
  gen::ChunkResult ours = generator.generate_chunk(spec);

  auto text = boson["text_ids"].get<std::vector<int64_t>>();
  REQUIRE(!text.empty());
  CHECK(text[0] == 128016);  // <|AUDIO_OUT|> of the forced segment
  std::vector<int64_t> want(text.begin() + 1, text.end());
  const size_t n = std::min(want.size(), ours.continuation.size());
  REQUIRE(n > 1);
  CHECK(std::vector<int64_t>(ours.continuation.begin(), ours.continuation.begin() + int64_t(n)) ==
        std::vector<int64_t>(want.begin(), want.begin() + int64_t(n)));
  if (boson["stopped_by"] != "length") CHECK(ours.continuation.size() == want.size());
  // Audio: the segments one after another, compared over Boson's columns.
  std::vector<std::vector<int64_t>> cols(8);
  for (const auto& seg : boson["audio_segments"])
    for (size_t k = 0; k < 8; ++k) {
      auto row = seg["audio_codes"][k].get<std::vector<int64_t>>();
      cols[k].insert(cols[k].end(), row.begin(), row.end());
    }
  auto got = generation_referee::rows(ours.delayed);
  REQUIRE(got[0].size() >= cols[0].size());
  for (size_t k = 0; k < 8; ++k)
    CHECK(std::vector<int64_t>(got[k].begin(), got[k].begin() + int64_t(cols[0].size())) ==
          cols[k]);
  MESSAGE("continuation: " << n << " ids after the first segment equal to Boson's ("
                           << boson["audio_segments"].size() << " audio segment(s), "
                           << cols[0].size() << " columns); Boson stopped by "
                           << boson["stopped_by"].get<std::string>());
}

}  // namespace generation_continuation_referee
