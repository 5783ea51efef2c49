// Kind `callback`: observes training (metrics, early stopping, listening samples), built from
// its options and CallbackArgs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/model.h"
#include "framework/train/run_settings.h"
#include "framework/train/trainer_state.h"

namespace higgs {

class TextTokenizer;
class AudioTokenizer;
namespace generation {
class GenerationScorer;
}

/// A scorer of generated speech with the recipe path it was built from ("scorers[0]"), which
/// names it in messages (kind `scorer`, components/generation/scorer.h).
struct NamedScorer {
  std::string name;
  std::shared_ptr<generation::GenerationScorer> scorer;
};

/// What a callback is built from besides its options: the model trained, the recipe's tokenizers
/// and scorers (null or empty when the recipe names none), and the run-wide settings.
struct CallbackArgs {
  std::shared_ptr<Model> model;
  std::shared_ptr<TextTokenizer> text_tokenizer;
  std::shared_ptr<AudioTokenizer> audio_tokenizer;
  std::vector<NamedScorer> scorers;
  RunSettings run;
};

class Callback {
 public:
  static constexpr const char* kKind = "callback";
  using Args = CallbackArgs;
  virtual ~Callback() = default;
  virtual void on_train_begin(TrainState&) {}
  virtual void on_step_end(TrainState&) {}
  /// Metrics this callback adds to an evaluation ("eval/wer", "eval/speech_fraction", ...), asked
  /// on every rank after the loss evaluation and before the eval record is written, best_metric is
  /// checked and on_eval_end runs, so they can be monitored like the loss. The main rank's values
  /// are the ones used (sent to the other ranks).
  virtual Json eval_metrics(TrainState&) { return Json::object(); }
  virtual void on_eval_end(TrainState&) {}
  virtual void on_save(TrainState&, const std::string& /*checkpoint_dir*/) {}
  virtual void on_train_end(TrainState&) {}
  /// State to keep across resume (e.g. early stopping's best value).
  virtual Json state() const { return Json::object(); }
  virtual void load_state(const Json&) {}
};

}  // namespace higgs
