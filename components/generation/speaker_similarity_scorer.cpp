// Scorer `speaker_similarity`: cosine similarity between the speaker embedding of each generated
// clip and that of its reference clip(s), with resemblyzer's GE2E encoder run in process in
// LibTorch (speaker_encoder.h) from the weights the PyPI package ships:
//
//   scorers: [{ type: 'speaker_similarity', weights:
//   '.venv/lib/python3.11/site-packages/resemblyzer/pretrained.pt' }]
//   -> {"sim": 0.83}
//
// The default of the field's papers (WavLM-large or ECAPA-TDNN speaker verification, as in
// Seed-TTS-eval) needs a model no registry package ships; run it through the `command` scorer
// with a path you give (docs/metrics.md).
#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <mutex>

#include "components/audio/audio_io.h"
#include "components/generation/scorer.h"
#include "components/generation/speaker_encoder.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"

namespace higgs::generation {
namespace {

class SpeakerSimilarityScorer : public GenerationScorer {
 public:
  struct Options {
    std::string weights;
  };
  static void bind(Binder& b, Options& o) {
    b.req("weights", o.weights,
          "resemblyzer's pretrained.pt (pip install resemblyzer; it is in the package "
          "directory, e.g. .venv/lib/python3.11/site-packages/resemblyzer/pretrained.pt).")
        .cli_path();
  }
  explicit SpeakerSimilarityScorer(const Options& o) : weights_(o.weights) {
    // Checked when the recipe is built; the weights load on the first sample.
    if (!std::filesystem::exists(weights_))
      throw RecipeError("scorer speaker_similarity: weights " + weights_ +
                        " does not exist; pip install resemblyzer and give the path of its "
                        "pretrained.pt");
  }

  Json score(const ScoredSample& s) override {
    if (s.ref_audio.empty())
      throw std::runtime_error("speaker_similarity: the sample has no reference audio");
    std::lock_guard<std::mutex> lock(mutex_);
    if (!encoder_) encoder_ = std::make_unique<Ge2eSpeakerEncoder>(weights_);
    const at::Tensor generated =
        encoder_->embed_utterance(Ge2eSpeakerEncoder::preprocess(s.samples, s.sample_rate));
    // Several references: their normalised mean, as resemblyzer's embed_speaker.
    at::Tensor ref = torch::zeros_like(generated);
    for (const auto& path : s.ref_audio) ref += reference(path);
    ref = ref / ref.norm();
    return Json{{"sim", torch::dot(generated, ref).item<double>()}};
  }

 private:
  at::Tensor reference(const std::string& path) {
    auto it = refs_.find(path);
    if (it != refs_.end()) return it->second;
    LoadAudioOptions lo;
    lo.target_sample_rate = Ge2eSpeakerEncoder::kSampleRate;
    const AudioBuffer a = load_audio(path, lo);
    at::Tensor e = encoder_->embed_utterance(
        Ge2eSpeakerEncoder::preprocess(a.samples, Ge2eSpeakerEncoder::kSampleRate));
    refs_.emplace(path, e);
    return e;
  }

  std::string weights_;
  std::unique_ptr<Ge2eSpeakerEncoder> encoder_;
  std::map<std::string, at::Tensor> refs_;  // a reference is embedded once
  std::mutex mutex_;
};

}  // namespace

HIGGS_REGISTER(GenerationScorer, SpeakerSimilarityScorer, "speaker_similarity",
               "Cosine similarity of GE2E speaker embeddings (resemblyzer's weights, in process) "
               "of the generated clip and its reference.");

}  // namespace higgs::generation
