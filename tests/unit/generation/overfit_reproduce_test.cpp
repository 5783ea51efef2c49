// The strongest check that training and inference agree: a tiny model overfitted on one
// voice-cloning sample, asked with greedy decoding for the same target text after the same
// reference, reproduces the trained codes exactly and stops by itself.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/chatml/chatml_layout.h"
#include "components/collators/higgs_audio.h"
#include "components/generation/generator.h"
#include "components/models/higgs_audio/loss.h"
#include "tests/unit/generation/tiny_generation_fixture.h"
#include "tests/unit/models/higgs_audio_fixture.h"

namespace higgs::overfit_reproduce_test {

using namespace higgs::generation;
using higgs::higgs_audio::HiggsAudioModelImpl;

struct Setup {
  generation_test::TinyTextTokenizer tok;
  HiggsAudioConfig cfg = HiggsAudioConfig::from_json(higgs_test::tiny_config_json());
  HiggsAudioModelImpl net{cfg};
  PromptSpec spec;
  torch::Tensor target;
  higgs::Batch batch;

  Setup() {
    torch::manual_seed(0);
    net.init_weights(5, 0.02);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
    // Codes inside the codebook (0..15); the stream BOS/EOS ids are 16/17.
    spec.references.push_back({"Hello there, how are you?",
                               torch::randint(0, 16, {higgs_test::kBooks, 10}, gen, torch::kLong)});
    spec.scene = "A quiet room.";
    spec.text = "Good morning.";
    target = torch::randint(0, 16, {higgs_test::kBooks, 12}, gen, torch::kLong);
    // The training sample: the generation prompt plus the target turn, trained from there on.
    Prompt p = build_prompt(spec);
    ChatMLMessage answer;
    answer.role = "assistant";
    answer.content.push_back(ChatMLContent::make_audio("target.wav"));
    p.sample.messages.push_back(answer);
    p.sample.start_index = static_cast<int64_t>(p.sample.messages.size()) - 1;
    p.codes.push_back(target);
    auto tokens = prepare_chatml_sample(p.sample, tok);
    HiggsAudioCollator::Options co;  // the training collator: round_to 8, delay pattern
    HiggsAudioCollator collator(co, HiggsTokenIds::from_json(cfg.to_json(), "tiny config"));
    batch = collator.collate({make_chatml_example(tokens, p.codes)});
  }

  // Plain AdamW on the model's own loss until every target is predicted with a wide margin.
  double train(int steps) {
    torch::optim::AdamW opt(net.parameters(), torch::optim::AdamWOptions(3e-3).weight_decay(0.0));
    net.train();
    double loss_value = 0;
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      auto terms = higgs::higgs_audio::compute_loss_terms(net, batch, {});
      torch::Tensor loss = torch::zeros({});
      for (const auto& t : terms)
        loss = loss + t.sum * (t.weight / double(std::max<int64_t>(t.count, 1)));
      loss.backward();
      opt.step();
      loss_value = loss.item<double>();
      if (loss_value < 2e-3) break;
    }
    return loss_value;
  }
};

GenerateOptions greedy() {
  GenerateOptions o;
  o.sampling.temperature = 0;  // argmax
  o.sampling.ras_window = 0;   // RAS would redraw repeated codes at random
  o.max_frames = 100;
  return o;
}

TEST_CASE("overfit one sample, then greedy generation reproduces the trained codes exactly") {
  Setup s;
  {
    VoiceCloneGenerator before(s.net, s.tok, nullptr, greedy());
    auto r = before.generate_chunk(s.spec);  // an untrained model does not produce the target
    CHECK_FALSE((r.stop == StopReason::kAudioEos && r.codes.sizes() == s.target.sizes() &&
                 torch::equal(r.codes, s.target)));
  }
  const double loss = s.train(600);
  INFO("final training loss " << loss);
  REQUIRE(loss < 0.05);

  VoiceCloneGenerator gen(s.net, s.tok, nullptr, greedy());
  ChunkResult r = gen.generate_chunk(s.spec);
  CHECK(r.stop == StopReason::kAudioEos);
  CHECK(r.text_tokens == std::vector<int64_t>{higgs_test::kOutBos});
  // BOS frame + 12 frames + 4 - 1 ramp columns + EOS column: T + K + 1 columns.
  CHECK(r.delayed.size(1) == 12 + higgs_test::kBooks + 1);
  REQUIRE(r.codes.sizes() == s.target.sizes());
  CHECK(torch::equal(r.codes, s.target));

  // Without the KV cache (the whole sequence re-run each step) the result is the same.
  auto o = greedy();
  o.use_cache = false;
  VoiceCloneGenerator slow(s.net, s.tok, nullptr, o);
  ChunkResult r2 = slow.generate_chunk(s.spec);
  CHECK(r2.stop == StopReason::kAudioEos);
  CHECK(torch::equal(r2.delayed, r.delayed));

  // The length limit stops decoding and says so.
  o = greedy();
  o.max_frames = 6;
  VoiceCloneGenerator cut(s.net, s.tok, nullptr, o);
  ChunkResult r3 = cut.generate_chunk(s.spec);
  CHECK(r3.stop == StopReason::kMaxFrames);
  CHECK(r3.delayed.size(1) == 6);
  CHECK(torch::equal(r3.delayed, r.delayed.slice(1, 0, 6)));

  // force_audio skips the text head: the same frames follow.
  o = greedy();
  o.force_audio = true;
  VoiceCloneGenerator forced(s.net, s.tok, nullptr, o);
  ChunkResult r4 = forced.generate_chunk(s.spec);
  CHECK(r4.text_tokens.empty());
  CHECK(torch::equal(r4.codes, s.target));
}

}  // namespace higgs::overfit_reproduce_test
