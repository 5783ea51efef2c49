// Evaluation: the mean loss terms of a model over a dataset, without gradients. Shared by the
// trainer (periodic and final evaluation) and the `evaluate` task, so both report the same numbers.
#pragma once

#include <memory>
#include <string>

#include "framework/train/data_loader.h"
#include "framework/train/model.h"
#include "framework/util/progress_bar.h"

namespace higgs {

class Communicator;

struct EvaluationOptions {
  /// Loader settings (batch size, workers, rank and world size); shuffle and even_shards are
  /// switched off: the ranks together evaluate every sample once, in dataset order.
  LoaderOptions loader;
  int64_t max_batches = 0;  // 0: every batch
  bool bf16 = false;        // bf16 autocast on CPU, as in training
  std::string prefix = "eval/";
  /// The bar over this rank's batches (label, whether shown, kept); its total is set here. The
  /// trainer's is cleared when done, below the training bar.
  ProgressBar::Options progress{"eval", 0, "batch", 0, true, 30, true};
};

struct EvaluationResult {
  Json metrics;  // {"PREFIX loss", "PREFIX text_loss", ...}; empty when no batch was evaluated
  int64_t batches = 0, samples = 0, skipped = 0;  // this rank's
};

/// Evaluates `model` (switched to eval mode and back to train mode) on `data`. Metrics are summed
/// over the ranks of `comm`; a rank without batches leaves rank 0's numbers (with a warning).
EvaluationResult evaluate_model(Model& model, std::shared_ptr<const Dataset> data,
                                std::shared_ptr<const Collator> collator,
                                const EvaluationOptions& opts, Communicator& comm);

}  // namespace higgs
