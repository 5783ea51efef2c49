#include "framework/run/task.h"

#include "framework/registry/registry.h"

namespace higgs {

HIGGS_DECLARE_KIND(Task, 140, "What `higgs-run RECIPE` does (train, evaluate, data_check, ...).",
                   {"task", false, "train"});

}  // namespace higgs
