#include "framework/config/json_file.h"

#include <stdexcept>

#include "framework/util/fs.h"

namespace higgs {

Json read_json_file(const std::string& path, const std::string& advice) {
  const std::string text = read_file(path);
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string detail = e.what();
    // nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 9: ..." -> the
    // part after the id.
    if (auto pos = detail.find("] "); pos != std::string::npos) detail = detail.substr(pos + 2);
    throw std::runtime_error(path + " is not valid JSON (truncated or edited?): " + detail +
                             (advice.empty() ? "" : "; " + advice));
  }
}

}  // namespace higgs
