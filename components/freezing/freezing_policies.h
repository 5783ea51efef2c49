// Freezing policies (kind `freezing`), applied in recipe order after adapters are attached:
//
//   freezing: [{ type: 'freeze_modules', groups: ['llm'] },
//              { type: 'freeze_pattern', patterns: ['layers.27.*'], freeze: false },
//              { type: 'train_only', patterns: ['*lora_*', 'layers.*.audio_mlp'] }]
//
// See docs/adapters-and-freezing.md.
#pragma once

#include <string>
#include <vector>

#include "framework/train/adapter.h"
#include "framework/train/freezing.h"

namespace torch::nn {
class Module;
}

namespace higgs {

class Binder;

/// "freeze_modules": freezes named parts of the Higgs Audio model (spec 1.4 freeze_llm etc.).
/// Adapter weights (lora_A/lora_B) under those parts are left as they are.
class FreezeModules : public Freezing {
 public:
  struct Options {
    std::vector<std::string> groups;
    bool freeze_embeddings = false;
  };
  static void bind(Binder& b, Options& o);
  explicit FreezeModules(const Options& options);
  void apply(Model& model) override;
  void apply(torch::nn::Module& root);
  /// The group names accepted by `groups`.
  static const std::vector<std::string>& group_names();

 private:
  Options options_;
};

/// "freeze_pattern": freezes (or, with freeze=false, unfreezes) what the patterns select.
class FreezePattern : public Freezing {
 public:
  struct Options {
    std::vector<std::string> patterns;
    bool regex = false;
    bool freeze = true;
  };
  static void bind(Binder& b, Options& o);
  explicit FreezePattern(const Options& options);
  void apply(Model& model) override;
  void apply(torch::nn::Module& root);

 private:
  Options options_;
};

/// "train_only": what the patterns select becomes trainable, everything else is frozen.
class TrainOnly : public Freezing {
 public:
  struct Options {
    std::vector<std::string> patterns;
    bool regex = false;
  };
  static void bind(Binder& b, Options& o);
  explicit TrainOnly(const Options& options);
  void apply(Model& model) override;
  void apply(torch::nn::Module& root);

 private:
  Options options_;
};

}  // namespace higgs
