// The speaker_similarity scorer's GE2E encoder against resemblyzer 0.1.4 itself (the referee venv)
// on the same 16 kHz clips and the same pretrained.pt: mel spectrograms and embeddings equal;
// then what the scorer is for: clips of one espeak-ng voice are more similar to each other than
// to clips of other voices.
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "components/audio/audio_io.h"
#include "components/generation/scorer.h"
#include "components/generation/speaker_encoder.h"
#include "framework/config/config.h"
#include "framework/run/component_builder.h"
#include "framework/run/recipe_plan.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/referee/referee_support.h"

namespace speaker_similarity_referee {

using namespace higgs_referee;
using higgs::generation::Ge2eSpeakerEncoder;

std::string espeak(const fs::path& dir, const std::string& name, const std::string& voice,
                   const std::string& text) {
  const std::string raw = (dir / (name + ".raw.wav")).string();
  auto [rc, out] = run_command("espeak-ng -v " + voice + " -w " + quote(raw) + " " + quote(text));
  REQUIRE_MESSAGE(rc == 0, out);
  higgs::LoadAudioOptions o;
  o.target_sample_rate = 16000;
  const std::string wav = (dir / (name + ".wav")).string();
  higgs::save_wav(wav, higgs::load_audio(raw, o).samples, 16000);
  return wav;
}

std::vector<float> read16k(const std::string& path) {
  higgs::LoadAudioOptions o;
  o.target_sample_rate = 16000;
  return higgs::load_audio(path, o).samples;
}

TEST_CASE("referee: GE2E mel spectrograms and embeddings equal resemblyzer's embed_utterance") {
  fs::path dir = work_dir("speaker-encoder");
  const std::string weights = run_referee("resemblyzer_embed.py", "weights");
  const std::string pt = weights.substr(0, weights.find('\n'));
  // A short clip (one partial), a longer one (several, the last one padded) and a quiet one.
  const std::vector<std::string> wavs = {
      espeak(dir, "short", "en-us", "Hello."),
      espeak(dir, "long", "en-us+f2",
             "The quick brown fox jumps over the lazy dog, and then it runs away into the woods."),
      espeak(dir, "quiet", "en-gb-x-rp -a 20", "A quiet voice says a few words.")};
  std::string args = "embed " + quote((dir / "resemblyzer.safetensors").string());
  for (const auto& w : wavs) args += " " + quote(w);
  run_referee("resemblyzer_embed.py", args);
  auto want = higgs::tensor_io::SafetensorsFile::open((dir / "resemblyzer.safetensors").string());
  Ge2eSpeakerEncoder encoder(pt);
  double worst_mel = 0, worst_embed = 0;
  for (size_t i = 0; i < wavs.size(); ++i) {
    CAPTURE(wavs[i]);
    const auto wav = Ge2eSpeakerEncoder::preprocess(read16k(wavs[i]), 16000);
    const at::Tensor mel = encoder.mel_spectrogram(wav);
    const at::Tensor want_mel = want.tensor("mel." + std::to_string(i));
    REQUIRE(mel.sizes() == want_mel.sizes());
    const double mel_err = ((mel - want_mel).abs() / (want_mel.abs() + 1e-3)).max().item<double>();
    CHECK_MESSAGE(mel_err < 1e-3, "mel relative error " << mel_err);
    const at::Tensor e = encoder.embed_utterance(wav);
    const at::Tensor want_e = want.tensor("embed." + std::to_string(i));
    const double err = (e - want_e).abs().max().item<double>();
    CHECK_MESSAGE(err < 1e-5, "embedding max |diff| " << err);
    CHECK(e.norm().item<double>() == doctest::Approx(1.0).epsilon(1e-5));
    worst_mel = std::max(worst_mel, mel_err), worst_embed = std::max(worst_embed, err);
  }
  MESSAGE("mel spectrograms within " << worst_mel << " (relative), embeddings within "
                                     << worst_embed << " of resemblyzer's");
}

TEST_CASE(
    "referee: the speaker_similarity scorer rates clips of one espeak-ng voice above "
    "clips of other voices") {
  fs::path dir = work_dir("speaker-similarity");
  const std::string weights = run_referee("resemblyzer_embed.py", "weights");
  const std::string pt = weights.substr(0, weights.find('\n'));
  higgs::RecipePlan plan = higgs::plan_recipe(higgs::Config(
      Json{{"scorers", {{{"type", "speaker_similarity"}, {"weights", pt}}}}}, "recipe.json"));
  higgs::ComponentBuilder builder(plan);
  auto scorer = builder.build<higgs::generation::GenerationScorer>("scorers[0]");
  const std::vector<std::string> voices = {"en-us+m1", "en-us+f2", "en-gb-x-rp", "en-us+m7"};
  const std::string a = "Please call me tomorrow morning before you leave for the station.";
  const std::string b = "The weather was nice today, so we walked along the river for hours.";
  std::vector<std::string> ref, other;
  for (size_t v = 0; v < voices.size(); ++v) {
    ref.push_back(espeak(dir, "a" + std::to_string(v), voices[v], a));
    other.push_back(espeak(dir, "b" + std::to_string(v), voices[v], b));
  }
  double same = 0, different = 0, worst_margin = 1e9;
  int n_same = 0, n_diff = 0;
  for (size_t g = 0; g < voices.size(); ++g) {
    higgs::generation::ScoredSample s;
    s.samples = read16k(other[g]);
    s.sample_rate = 16000;
    s.text = b;
    double own = 0, best_other = -1;
    for (size_t r = 0; r < voices.size(); ++r) {
      s.ref_audio = {ref[r]};
      const double sim = scorer->score(s)["sim"].get<double>();
      MESSAGE(voices[g] << " text B vs " << voices[r] << " text A: sim " << sim);
      if (g == r) {
        own = sim, same += sim, ++n_same;
      } else {
        best_other = std::max(best_other, sim), different += sim, ++n_diff;
      }
    }
    CHECK_MESSAGE(own > best_other,
                  voices[g] << ": own voice " << own << ", another " << best_other);
    worst_margin = std::min(worst_margin, own - best_other);
  }
  MESSAGE("mean sim: same voice " << same / n_same << ", different voices " << different / n_diff
                                  << "; smallest margin " << worst_margin);
  CHECK(same / n_same > different / n_diff + 0.05);
}

}  // namespace speaker_similarity_referee
