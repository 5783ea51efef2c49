#include "framework/train/trainer_state.h"

#include <filesystem>

namespace higgs {

Json TrainState::to_json() const {
  return Json{{"step", step},
              {"epoch", epoch},
              {"batch_in_epoch", batch_in_epoch},
              {"epoch_start_step", epoch_start_step},
              {"bad_steps", bad_steps},
              {"world_size", world_size},
              {"best_value", has_best ? Json(best_value) : Json(nullptr)},
              {"best_checkpoint", best_checkpoint},
              {"callbacks", callback_states},
              {"data_files", data_files}};
}

TrainState TrainState::from_json(const Json& j) {
  TrainState p;
  p.step = j.at("step").get<int64_t>();
  p.epoch = j.at("epoch").get<int64_t>();
  p.batch_in_epoch = j.at("batch_in_epoch").get<int64_t>();
  p.epoch_start_step = j.value("epoch_start_step", int64_t{0});
  p.bad_steps = j.value("bad_steps", int64_t{0});
  p.world_size = j.value("world_size", int64_t{1});
  if (j.contains("best_value") && !j["best_value"].is_null()) {
    p.has_best = true;
    p.best_value = j["best_value"].get<double>();
  }
  // A name inside the run directory; runs written before stored an absolute path, which
  // dangles once the run directory is moved: only its last component is kept.
  p.best_checkpoint = j.value("best_checkpoint", std::string());
  if (!p.best_checkpoint.empty())
    p.best_checkpoint = std::filesystem::path(p.best_checkpoint).filename().string();
  p.callback_states = j.value("callbacks", Json::array());
  p.data_files = j.value("data_files", Json::object());
  return p;
}

}  // namespace higgs
