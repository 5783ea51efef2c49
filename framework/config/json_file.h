// Reading a JSON file the program or a user wrote, with an error that names the file.
#pragma once

#include <string>

#include "framework/config/config.h"

namespace higgs {

/// Parses the JSON file `path`; throws std::runtime_error "PATH is not valid JSON (truncated or
/// edited?): DETAIL; ADVICE" when it is not, and read_file's error when it cannot be read.
Json read_json_file(const std::string& path, const std::string& advice = "");

}  // namespace higgs
