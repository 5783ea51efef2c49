// Scorer `asr`: word and character error rates of each generated clip against its target text,
// from speech recognition run in process (PocketSphinx with Debian's US-English model, so it works
// offline and in CI), normalised as Seed-TTS-eval normalises (word_error_rate.h).
//
//   scorers: [{ type: 'asr' }]     ->  {"wer": 0.2, "cer": 0.08, "asr_text": "hello there"}
//
// PocketSphinx is far weaker than Whisper: its numbers tell a model that speaks from one that
// does not, and follow a run's progress; for numbers comparable with papers use the Whisper
// recipe fragment recipes/lib/whisper_wer.libsonnet with the command scorer (docs/metrics.md).
#include <memory>

#include "components/generation/pocketsphinx_recognizer.h"
#include "components/generation/scorer.h"
#include "components/generation/word_error_rate.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"

namespace higgs::generation {
namespace {

class AsrScorer : public GenerationScorer {
 public:
  struct Options {
    std::string model_dir;
    std::string language = "en";
  };
  static void bind(Binder& b, Options& o) {
    b.opt("model_dir", o.model_dir,
          "PocketSphinx model directory (en-us/, en-us.lm.bin, cmudict-en-us.dict); empty: "
          "Debian's pocketsphinx-en-us, /usr/share/pocketsphinx/model/en-us.");
    b.choice("language", o.language, {"en"},
             "Language of the texts; PocketSphinx ships an English model only.");
  }
  explicit AsrScorer(const Options& o) {
    PocketsphinxModel model = PocketsphinxModel::debian_en_us(o.model_dir);
    const std::string missing = model.missing();
    // Before any weights load: a missing model is a recipe error with what to install.
    if (!missing.empty())
      throw RecipeError("scorer asr: the PocketSphinx model is missing (" + missing +
                        "); install Debian's pocketsphinx-en-us (scripts/setup.sh does) or set "
                        "model_dir");
    recognizer_ = std::make_unique<PocketsphinxRecognizer>(std::move(model));
  }

  Json score(const ScoredSample& s) override {
    const std::string heard = recognizer_->recognize(s.samples, s.sample_rate);
    const ErrorRates r = error_rates(s.text, heard);
    return Json{{"wer", r.wer}, {"cer", r.cer}, {"asr_text", heard}};
  }

 private:
  std::unique_ptr<PocketsphinxRecognizer> recognizer_;
};

}  // namespace

HIGGS_REGISTER(GenerationScorer, AsrScorer, "asr",
               "WER and CER of the generated speech against its text, by PocketSphinx speech "
               "recognition in process (Seed-TTS-eval normalisation).");

}  // namespace higgs::generation
