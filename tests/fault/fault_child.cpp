// A training run with the trainer test doubles, in its own process, for the fault injection tests
// (tests/fault/fault_injection_test.cpp): HIGGS_FAULT_INJECT can make it SIGKILL itself in
// the middle of a checkpoint write. Exit codes as higgs-run: 2 recipe error, 1 failure, 0 done.
//
//   higgs_fault_child RECIPE.json [--resume auto|CHECKPOINT]
#include <torch/torch.h>

#include <iostream>
#include <string>

#include "framework/run/runner.h"
#include "tests/unit/train/trainer_doubles.h"

HIGGS_REGISTER(higgs::Model, higgs::test::LinearModel, "test_linear", "Test double.");
HIGGS_REGISTER(higgs::Dataset, higgs::test::SyntheticData, "test_synthetic", "Test double.");
HIGGS_REGISTER(higgs::Collator, higgs::test::StackCollator, "test_stack", "Test double.");
HIGGS_REGISTER(higgs::Optimizer, higgs::test::PlainSgd, "test_sgd", "Test double.");

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--resume")) {
    std::cerr << "usage: higgs_fault_child RECIPE.json [--resume auto|CHECKPOINT]\n";
    return 2;
  }
  higgs::RecipeArgs args;
  args.recipe = argv[1];
  if (argc == 4) args.flags.resume = argv[3];
  try {
    return higgs::run_plan(higgs::load_plan(args), args.flags);
  } catch (const higgs::RecipeError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
