// Kinds `adapter`, `freezing`, `callback` and `trainer`.
#pragma once

#include <string>

#include "framework/train/model.h"
#include "framework/train/optimizer.h"

namespace higgs {

class BuildContext;

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

/// The state a callback sees.
struct TrainState {
  int64_t step = 0;         // optimizer steps done
  int64_t total_steps = 0;  // planned
  int64_t epoch = 0;
  std::string output_dir;
  Json metrics = Json::object();  // latest train or eval metrics
  bool stop_requested = false;    // set by a callback to end training after this step
};

class Callback {
 public:
  static constexpr const char* kKind = "callback";
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

/// The training loop.
class Trainer {
 public:
  static constexpr const char* kKind = "trainer";
  virtual ~Trainer() = default;
  virtual int train(BuildContext& ctx) = 0;
};

}  // namespace higgs
