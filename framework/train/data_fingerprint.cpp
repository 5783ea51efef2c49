#include "framework/train/data_fingerprint.h"

#include <filesystem>
#include <stdexcept>

#include "framework/util/xxh64.h"

namespace fs = std::filesystem;

namespace higgs {

Json fingerprint_files(const std::vector<std::string>& files) {
  Json out = Json::array();
  for (const auto& f : files) {
    std::error_code ec;
    const auto bytes = fs::file_size(f, ec);
    if (ec) throw std::runtime_error("cannot read data file " + f + ": " + ec.message());
    out.push_back({{"path", f}, {"bytes", bytes}, {"xxh64", xxh64_file(f)}});
  }
  return out;
}

std::vector<std::string> fingerprint_changes(const std::string& split, const Json& before,
                                             const Json& now) {
  std::vector<std::string> out;
  const std::string key = split + ".contents: ";
  if (!before.is_array() || !now.is_array()) return out;
  if (before.size() != now.size()) {
    out.push_back(key + "the split read " + std::to_string(before.size()) +
                  " file(s) at the checkpoint and " + std::to_string(now.size()) + " now");
    return out;
  }
  for (size_t i = 0; i < now.size(); ++i) {
    const Json& b = before[i];
    const Json& n = now[i];
    const std::string path = n.value("path", std::string());
    const auto b_bytes = b.value("bytes", uint64_t(0)), n_bytes = n.value("bytes", uint64_t(0));
    if (b_bytes != n_bytes)
      out.push_back(key + path + " changed since the checkpoint (" + std::to_string(b_bytes) +
                    " -> " + std::to_string(n_bytes) + " bytes)");
    else if (b.value("xxh64", std::string()) != n.value("xxh64", std::string()))
      out.push_back(key + path + " changed since the checkpoint (same size, other contents)");
  }
  return out;
}

}  // namespace higgs
