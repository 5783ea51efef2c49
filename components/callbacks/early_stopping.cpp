// Callback `early_stopping` (declared in callbacks.h): stops training when an eval metric stops
// improving for `patience` evaluations.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include <spdlog/spdlog.h>

#include "components/callbacks/callbacks.h"
#include "framework/config/diagnostics.h"
#include "framework/config/options.h"
#include "framework/registry/registry.h"
#include "framework/run/recipe_plan.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

void EarlyStopping::bind(Binder& b, Options& o) {
  b.opt("monitor", o.monitor,
        "Eval metric to watch, as in metrics.jsonl (eval/loss, eval/audio_loss, eval/text_acc, "
        "...).");
  b.opt("patience", o.patience, "Evaluations in a row without improvement before training stops.")
      .min(1);
  b.opt("min_delta", o.min_delta, "An improvement smaller than this does not count.").min(0.0);
  b.choice("mode", o.mode, {"min", "max"}, "Whether lower (loss) or higher (accuracy) is better.");
}

EarlyStopping::EarlyStopping(const Options& o) : o_(o) {
  if (o_.patience < 1)
    throw std::invalid_argument("callback early_stopping: patience must be >= 1");
}

void EarlyStopping::check_plan(const Options& o, const RecipePlan& plan, const std::string& path,
                               Diagnostics& diags) {
  if (o.monitor.rfind("eval/", 0) == 0 && !plan.components.count("eval_data") &&
      (!plan.lists.count("eval_mix") || plan.lists.at("eval_mix").empty()))
    diags.error(join_path(path, "monitor"),
                "early_stopping monitors \"" + o.monitor +
                    "\" but the recipe has no eval_data: add eval_data (and trainer.eval_every)");
}

void EarlyStopping::on_train_begin(TrainState& s) {
  if (s.eval_every == 0)
    spdlog::warn(
        "callback early_stopping: trainer.eval_every is 0, so evaluation runs only at the end "
        "and training never stops early; set trainer.eval_every");
}

void EarlyStopping::on_eval_end(TrainState& s) {
  if (!s.metrics.contains(o_.monitor)) {
    std::vector<std::string> names;
    for (auto it = s.metrics.begin(); it != s.metrics.end(); ++it) names.push_back(it.key());
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::runtime_error("callback early_stopping: the evaluation reported no \"" + o_.monitor +
                             "\"" + suggestion_suffix(o_.monitor, names) +
                             "; it reported: " + list);
  }
  if (s.step == last_eval_step_) return;
  last_eval_step_ = s.step;
  const double v = s.metrics[o_.monitor].get<double>();
  const bool improved =
      !has_best_ || (o_.mode == "min" ? v < best_ - o_.min_delta : v > best_ + o_.min_delta);
  if (improved) {
    has_best_ = true;
    best_ = v;
    bad_evals_ = 0;
    return;
  }
  ++bad_evals_;
  spdlog::info("early_stopping: {} = {:.6g}, no improvement over {:.6g} for {} of {} evaluations",
               o_.monitor, v, best_, bad_evals_, o_.patience);
  if (bad_evals_ >= o_.patience) {
    spdlog::info(
        "early_stopping: stopping at step {} ({} did not improve by more than {} in {} "
        "evaluations)",
        s.step, o_.monitor, o_.min_delta, o_.patience);
    s.stop_requested = true;
  }
}

Json EarlyStopping::state() const {
  return Json{{"monitor", o_.monitor},
              {"best", has_best_ ? Json(best_) : Json(nullptr)},
              {"bad_evals", bad_evals_},
              {"last_eval_step", last_eval_step_}};
}

void EarlyStopping::load_state(const Json& j) {
  if (!j.is_object() || !j.contains("bad_evals"))
    return;  // a checkpoint from another callback list
  if (j.value("monitor", o_.monitor) != o_.monitor)
    spdlog::warn(
        "early_stopping: the checkpoint monitored \"{}\", this run monitors \"{}\"; starting "
        "afresh",
        j.value("monitor", std::string()), o_.monitor);
  else {
    has_best_ = !j["best"].is_null();
    best_ = has_best_ ? j["best"].get<double>() : 0.0;
    bad_evals_ = j["bad_evals"].get<int64_t>();
    last_eval_step_ = j.value("last_eval_step", int64_t{-1});
  }
}

HIGGS_REGISTER(Callback, EarlyStopping, "early_stopping",
               "Stop training when an eval metric stops improving (patience, min_delta, mode).");

}  // namespace higgs
