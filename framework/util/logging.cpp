#include "framework/util/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "framework/util/console.h"

namespace higgs {

bool valid_log_level(const std::string& level) {
  return level == "trace" || level == "debug" || level == "info" || level == "warn" ||
         level == "error" || level == "off";
}

void setup_logging(const std::string& level, int rank) {
  // The console's own sink: a message and the live progress bar never share a line.
  auto console =
      make_console_sink(rank == 0 ? "[%H:%M:%S] %^%l%$ %v"
                                  : "[%H:%M:%S] [rank " + std::to_string(rank) + "] %^%l%$ %v");
  auto logger = std::make_shared<spdlog::logger>("higgs", console);
  auto lvl = spdlog::level::from_str(level);
  logger->set_level(rank == 0 ? lvl : std::max(lvl, spdlog::level::warn));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void add_log_file(const std::string& path) {
  auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, /*truncate=*/false);
  file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l %v");
  spdlog::default_logger()->sinks().push_back(file);
}

}  // namespace higgs
