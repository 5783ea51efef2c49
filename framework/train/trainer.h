// Kind `trainer`: the training loop, handed its parts (TrainerParts) and where it runs
// (TrainerRun) by the train task.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/adapter.h"
#include "framework/train/callback.h"
#include "framework/train/model.h"
#include "framework/train/optimizer.h"
#include "framework/train/run_settings.h"
#include "framework/train/scheduler.h"

namespace higgs {

class Dataset;
class Collator;
class Sampler;
class Communicator;

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
  std::shared_ptr<Sampler> sampler;  // null: fixed-size batches of the trainer's batch_size
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
  int64_t train = 8;         // examples per batch on each process
  int64_t eval = 8;          // examples per evaluation batch
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
