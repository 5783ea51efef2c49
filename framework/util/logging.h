// Logging through spdlog: console for rank 0, and the run directory's train.log.
#pragma once

#include <string>

namespace higgs {

/// Sets the level ("trace", "debug", "info", "warn", "error") and the console sink. Ranks other
/// than 0 log warnings and errors only.
void setup_logging(const std::string& level, int rank = 0);
/// Also writes every message to `path` (appending: a resumed run keeps its log).
void add_log_file(const std::string& path);
/// True when `level` is a valid spdlog level name.
bool valid_log_level(const std::string& level);

}  // namespace higgs
