// Generation stays within the model's positions: a long text in chunks keeps only the earlier
// chunks that fit as context (the prompt never grows without bound), a chunk whose prompt leaves
// little room gets fewer frames, and a prompt that leaves none is refused with advice.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/generation/generator.h"
#include "tests/unit/generation/tiny_generation_fixture.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace higgs::context_bound_test {

using namespace higgs::generation;
using higgs::higgs_audio::HiggsAudioModelImpl;

HiggsAudioConfig config_with_positions(int64_t positions) {
  Json j = higgs_test::tiny_config_json();
  j["text_config"]["max_position_embeddings"] = positions;
  return HiggsAudioConfig::from_json(j);
}

// Random weights, but an audio head of zeros: greedy decoding then picks code 0 every frame and
// never the stream EOS, so every chunk runs to its frame limit.
void init_never_ending(HiggsAudioModelImpl& net) {
  net.init_weights(5, 0.02);
  torch::NoGradGuard no_grad;
  for (auto& p : net.named_parameters())
    if (p.key().rfind("audio_decoder_proj.audio_lm_head.", 0) == 0) p.value().zero_();
}

GenerateOptions forced_audio(int64_t max_frames) {
  GenerateOptions o;
  o.sampling.temperature = 0;
  o.sampling.ras_window = 0;
  o.force_audio = true;  // straight to audio
  o.max_frames = max_frames;
  o.max_text_tokens = 4;
  return o;
}

PromptSpec spec_with_text(const std::string& text) {
  PromptSpec spec;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);  // the same reference every time
  spec.references.push_back(
      {"Hi.", torch::randint(0, 16, {higgs_test::kBooks, 6}, gen, torch::kLong)});
  spec.text = text;
  return spec;
}

TEST_CASE("chunked generation keeps only the earlier chunks that fit in the model's positions") {
  torch::manual_seed(0);
  const int64_t positions = 400, frames = 30;
  HiggsAudioModelImpl net{config_with_positions(positions)};
  init_never_ending(net);
  generation_test::TinyTextTokenizer tok;
  auto o = forced_audio(frames);
  o.chunk_words = 2;  // -1 chunk_history (the default): as many earlier chunks as fit
  std::string text;
  for (int i = 0; i < 40; ++i) text += "word" + std::to_string(i) + (i % 2 ? ". " : " ");
  VoiceCloneGenerator gen(net, tok, nullptr, o);
  JobResult job = gen.generate(spec_with_text(text));
  REQUIRE(job.chunks.size() == 20);
  int64_t longest = 0;
  for (const auto& c : job.chunks) {
    CHECK(c.prompt_tokens + o.max_text_tokens + frames <= positions);
    CHECK(c.delayed.size(1) <= frames);
    longest = std::max(longest, c.prompt_tokens);
  }
  // Earlier chunks were kept while they fit: later prompts are longer than the first one...
  CHECK(longest > job.chunks.front().prompt_tokens + frames);
  // ... and all 19 earlier chunks (30 frames each) would not have fitted.
  CHECK(job.chunks.front().prompt_tokens + 19 * frames > positions);
}

TEST_CASE("a prompt that leaves little room gets fewer frames, one that leaves none is refused") {
  torch::manual_seed(0);
  generation_test::TinyTextTokenizer tok;
  const std::string text = "Good morning to you all.";
  HiggsAudioModelImpl roomy{config_with_positions(4096)};
  init_never_ending(roomy);
  const ChunkResult free_run = VoiceCloneGenerator(roomy, tok, nullptr, forced_audio(50))
                                   .generate_chunk(spec_with_text(text));
  const int64_t prompt = free_run.prompt_tokens;
  REQUIRE(prompt > 0);
  REQUIRE(free_run.delayed.size(1) == 50);  // with room, it runs to max_frames
  // Room for 10 columns only, though max_frames asks 50 (the same weights: positions past the
  // original 1024 do not change the llama3 RoPE frequencies).
  HiggsAudioModelImpl tight{config_with_positions(prompt + 4 + 10)};
  init_never_ending(tight);
  ChunkResult r = VoiceCloneGenerator(tight, tok, nullptr, forced_audio(50))
                      .generate_chunk(spec_with_text(text));
  CHECK(r.stop == StopReason::kMaxFrames);
  REQUIRE(r.delayed.size(1) == 10);
  CHECK(torch::equal(r.delayed, free_run.delayed.slice(1, 0, 10)));
  // A text as long as the model's positions: refused before decoding, naming the remedy.
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += "many words ";
  HiggsAudioModelImpl small{config_with_positions(prompt + 40)};
  init_never_ending(small);
  VoiceCloneGenerator gen(small, tok, nullptr, forced_audio(50));
  CHECK_THROWS_WITH(gen.generate(spec_with_text(long_text)),
                    doctest::Contains("leaves no room for audio within the model's "
                                      "max_position_embeddings"));
  CHECK_THROWS_WITH(gen.generate(spec_with_text(long_text)), doctest::Contains("--chunk-words"));
}

}  // namespace higgs::context_bound_test
