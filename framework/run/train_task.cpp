// Task `train`: runs the recipe's trainer.
//
//   task: "train"   (the default)
#include "framework/run/task.h"
#include "framework/train/hooks.h"

namespace higgs {

class TrainTask : public Task {
 public:
  struct Options {};
  static void bind(Binder&, Options&) {}
  TrainTask(const Options&, BuildContext&) {}
  std::vector<std::string> required_keys() const override {
    return {"model", "train_data", "collator", "optimizer", "output_dir"};
  }
  int run(BuildContext& ctx) override { return ctx.get<Trainer>("trainer")->train(ctx); }
};

HIGGS_REGISTER(Task, TrainTask, "train", "Train the model on train_data (the default task).");

}  // namespace higgs
