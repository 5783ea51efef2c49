// Training with LoRA, modules_to_save and a freezing policy leaves every frozen parameter
// unchanged bit for bit, and changes every trainable one (components registered in
// lora_trainer_test.cpp).
#include <torch/torch.h>

#include <doctest/doctest.h>

#include "framework/distributed/communicator.h"
#include "framework/run/runner.h"
#include "framework/run/task.h"
#include "framework/train/model.h"
#include "tests/support/test_support.h"

namespace higgs::frozen_params_test {

Json recipe(const std::string& out) {
  return Json{
      {"seed", 3},
      {"output_dir", out},
      {"threads", 1},
      {"model", {{"type", "test_tiny_higgs"}}},
      {"train_data", {{"type", "test_tiny_tokens"}}},
      {"collator", "test_tiny_stack"},
      {"adapters",
       {{{"type", "lora"},
         {"r", 4},
         {"alpha", 8},
         {"dropout", 0.1},
         {"modules_to_save", {"audio_decoder_proj.audio_lm_head"}}}}},
      {"freezing",
       {{{"type", "freeze_pattern"}, {"patterns", {"layers.1.audio_mlp"}}, {"freeze", false}}}},
      {"optimizer", {{"type", "adamw"}, {"lr", 0.01}, {"weight_decay", 0.1}}},
      {"trainer",
       {{"max_steps", 4},
        {"batch_size", 2},
        {"log_every", 1},
        {"num_workers", 0},
        {"progress_bar", false}}}};
}

}  // namespace higgs::frozen_params_test

TEST_CASE("frozen parameters are unchanged bit for bit after training, trainable ones all move") {
  higgs::test::TempDir dir("frozen-bits");
  auto plan = higgs::plan_recipe(
      higgs::Config(higgs::frozen_params_test::recipe(dir.file("run")), "test.json"));
  at::set_num_threads(1);
  torch::manual_seed(3);
  higgs::ComponentBuilder components(plan);
  higgs::TaskContext ctx{plan,
                         {},
                         higgs::RunSettings{plan.settings.seed, plan.settings.device, {}},
                         higgs::local_communicator(),
                         components};
  auto model = components.build<higgs::Model>("model", ctx.run);  // the instance the task trains
  std::map<std::string, at::Tensor> before;
  for (const auto& p : model->module().named_parameters(true))
    before[p.key()] = p.value().detach().clone();
  REQUIRE(components.build<higgs::Task>("task")->run(ctx) == 0);

  size_t frozen = 0, trained = 0;
  for (const auto& p : model->module().named_parameters(true)) {
    const std::string& n = p.key();
    if (!before.count(n)) {  // LoRA weights, added by the adapter
      CHECK_MESSAGE(n.find(".lora_") != std::string::npos, n);
      CHECK(p.value().requires_grad());
      continue;
    }
    if (p.value().requires_grad()) {
      ++trained;
      CHECK_MESSAGE(!torch::equal(p.value(), before.at(n)),
                    n << " is trainable but did not change");
      CHECK_MESSAGE((n.rfind("layers.1.audio_mlp.", 0) == 0 ||
                     n.rfind("audio_decoder_proj.audio_lm_head.", 0) == 0),
                    n);
    } else {
      ++frozen;
      CHECK_MESSAGE(torch::equal(p.value(), before.at(n)), n << " is frozen but changed");
    }
  }
  CHECK(trained == 4);  // layers.1.audio_mlp gate/up/down + the audio head
  CHECK(frozen > 20);
}
