// Kinds `adapter`, `freezing`, `callback` and `trainer`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/model.h"
#include "framework/train/optimizer.h"
#include "framework/train/run_settings.h"
#include "framework/train/trainer_state.h"

namespace higgs {

class TextTokenizer;
class AudioTokenizer;
class Dataset;
class Collator;
class Communicator;
namespace generation {
class GenerationScorer;
}

/// Adds trainable parameters to a model (e.g. LoRA) and saves them on their own.
class Adapter {
 public:
  static constexpr const char* kKind = "adapter";
  virtual ~Adapter() = default;
  virtual void attach(Model& model) = 0;
  virtual ParameterList parameters() const = 0;
  /// Writes the adapter alone (e.g. PEFT layout) into `dir`.
  virtual void save(const std::string& dir) const = 0;
  virtual void load(const std::string& dir) = 0;
  /// Folds the adapter into the base weights (and back).
  virtual void merge() = 0;
  virtual void unmerge() = 0;
};

/// Sets requires_grad on the model's parameters. Policies apply in recipe order.
class Freezing {
 public:
  static constexpr const char* kKind = "freezing";
  virtual ~Freezing() = default;
  virtual void apply(Model& model) = 0;
};

/// A scorer of generated speech with the recipe path it was built from ("scorers[0]"), which
/// names it in messages (kind `scorer`, components/generation/checks.h).
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
  virtual void on_eval_end(TrainState&) {}
  virtual void on_save(TrainState&, const std::string& /*checkpoint_dir*/) {}
  virtual void on_train_end(TrainState&) {}
  /// State to keep across resume (e.g. early stopping's best value).
  virtual Json state() const { return Json::object(); }
  virtual void load_state(const Json&) {}
};

/// The components a trainer trains with, built and wired by the train task: adapters attached,
/// freezing applied, the optimizer made over `trainable`.
struct TrainerParts {
  std::shared_ptr<Model> model;
  std::vector<std::shared_ptr<Adapter>> adapters;
  ParameterList trainable;
  std::shared_ptr<Optimizer> optimizer;
  std::shared_ptr<Scheduler> scheduler;  // null: a constant learning rate
  std::vector<std::shared_ptr<Callback>> callbacks;
  std::shared_ptr<Dataset> train_data;
  std::shared_ptr<Dataset> eval_data;  // null: no evaluation
  std::shared_ptr<Collator> collator;
};

/// Where and how a trainer runs: the prepared (and locked) run directory, the resolved recipe it
/// saves with every checkpoint and compares on resume, the command-line flags that reach it, the
/// run-wide settings and the process group.
struct TrainerRun {
  std::string output_dir;
  Json resolved_recipe;
  std::string resume;  // "", "auto" or a checkpoint path
  bool dry_run = false;
  RunSettings settings;
  std::shared_ptr<Communicator> communicator;
};

/// How a trainer batches the data, so that tools (evaluate, dump-batch) see the batches a run
/// trained and evaluated on.
struct BatchSizes {
  int64_t train = 8;        // examples per batch on each process
  int64_t eval = 8;         // examples per evaluation batch
  int64_t eval_batches = 0;  // batches an evaluation reads; 0: all
};

/// The training loop.
class Trainer {
 public:
  static constexpr const char* kKind = "trainer";
  virtual ~Trainer() = default;
  virtual BatchSizes batch_sizes() const = 0;
  /// Trains; returns the process exit code.
  virtual int train(const TrainerParts& parts, const TrainerRun& run) = 0;
};

}  // namespace higgs
