// The kinds of the generic training framework, each declared once beside its interface's header:
// the registry's kinds, the recipe keys that hold them and the schemas come from these lines.
// Higgs-specific kinds (tokenizers, feature extractors, scorers) are declared in components/.
#include "framework/registry/registry.h"
#include "framework/train/adapter.h"
#include "framework/train/callback.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"
#include "framework/train/freezing.h"
#include "framework/train/model.h"
#include "framework/train/optimizer.h"
#include "framework/train/sampler.h"
#include "framework/train/scheduler.h"
#include "framework/train/trainer.h"

namespace higgs {

HIGGS_DECLARE_KIND(Model, 10, "The network trained and its loss.", {"model"});
HIGGS_DECLARE_KIND(Dataset, 50,
                   "Produces training examples (train_data, eval_data; train_mix and eval_mix "
                   "list datasets mixed into one).",
                   {"train_data"}, {"eval_data"}, {"train_mix", true}, {"eval_mix", true});
HIGGS_DECLARE_KIND(Sampler, 55,
                   "Chooses the examples of each batch (fixed size, token budget, curriculum) "
                   "and draws mixed datasets.",
                   {"sampler"});
HIGGS_DECLARE_KIND(Collator, 60, "Turns a list of examples into a batch.", {"collator"});
HIGGS_DECLARE_KIND(Adapter, 70, "Adds trainable parameters to the model (e.g. LoRA).",
                   {"adapters", true});
HIGGS_DECLARE_KIND(Freezing, 80, "Decides which parameters are trained.", {"freezing", true});
HIGGS_DECLARE_KIND(Optimizer, 90, "Updates trainable parameters from their gradients.",
                   {"optimizer"});
HIGGS_DECLARE_KIND(Scheduler, 100, "Sets the learning rate at each step.", {"scheduler"});
HIGGS_DECLARE_KIND(Trainer, 110, "Runs the training loop.", {"trainer", false, "default"});
HIGGS_DECLARE_KIND(Callback, 120, "Observes training (metrics, early stopping, samples).",
                   {"callbacks", true});

}  // namespace higgs
