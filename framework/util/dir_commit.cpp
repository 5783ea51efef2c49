#include "framework/util/dir_commit.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "framework/util/fault.h"
#include "framework/util/fs.h"
#include "framework/util/xxh64.h"

namespace fs = std::filesystem;

namespace higgs {

namespace {

fs::path sibling(const fs::path& dir, const char* suffix) {
  return dir.parent_path() / ("." + dir.filename().string() + suffix);
}

// Every regular file under `dir` but the manifest, as paths relative to `dir`, sorted.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), dir).string();
    if (rel != kManifestFile) out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void fsync_tree(const fs::path& dir) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() || e.is_directory()) fsync_path(e.path().string());
  fsync_path(dir.string());
}

// Each file's size and XXH64: taken from what `written` recorded while the file was written when
// the size on disk still agrees, read back and hashed otherwise (a file written by other means).
void write_manifest(const fs::path& dir, const WrittenFileDigests& written) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& rel : files_under(dir)) {
    const fs::path p = dir / rel;
    const uint64_t bytes = fs::file_size(p);
    const auto it = written.files().find(p.lexically_normal().string());
    const bool known = it != written.files().end() && it->second.bytes == bytes;
    files[rel] = {{"bytes", bytes}, {"xxh64", known ? it->second.xxh64 : xxh64_file(p.string())}};
  }
  write_file_atomic((dir / kManifestFile).string(),
                    nlohmann::json{{"format", 1}, {"files", files}}.dump(1) + "\n");
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

}  // namespace

void write_directory_atomically(const std::string& dir_name,
                                const std::function<void(const std::string&)>& fill,
                                const std::string& fault) {
  const fs::path dir(dir_name), tmp = sibling(dir, ".tmp"), old = sibling(dir, ".old");
  remove_quietly(tmp);
  fs::create_directories(tmp);
  try {
    WrittenFileDigests written;
    fill(tmp.string());
    // The files are durable before the manifest that vouches for them exists.
    fsync_tree(tmp);
    write_manifest(tmp, written);
    fsync_path(tmp.string());
    fault_point((fault + ".before_rename").c_str());  // tests: SIGKILL here (docs/reliability.md)
    const bool replacing = fs::exists(dir);
    if (replacing) {
      remove_quietly(old);
      fs::rename(dir, old);  // the complete old copy stays whole, under another name
      fsync_path(dir.parent_path().string());
      fault_point((fault + ".old_aside").c_str());
    }
    fs::rename(tmp, dir);
    fsync_path(dir.parent_path().string());
    if (replacing) {
      fault_point((fault + ".new_in").c_str());
      fs::remove_all(old);
    }
  } catch (...) {
    remove_quietly(tmp);
    if (!fs::exists(dir) && fs::exists(old)) {
      std::error_code ec;
      fs::rename(old, dir, ec);  // put the old copy back
    }
    throw;
  }
}

std::optional<std::string> verify_directory(const std::string& dir_name, bool checksums) {
  const fs::path dir(dir_name), manifest = dir / kManifestFile;
  std::error_code ec;
  if (!fs::is_regular_file(manifest, ec)) return std::string("no ") + kManifestFile;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(manifest.string()));
  } catch (const std::exception&) {
    return std::string(kManifestFile) + " is not valid JSON (truncated?)";
  }
  if (!j.is_object() || !j.contains("files") || !j["files"].is_object())
    return std::string(kManifestFile) + " has no file list";
  const auto& files = j["files"];
  std::vector<std::string> listed;
  for (const auto& [rel, info] : files.items()) {
    listed.push_back(rel);
    const fs::path p = dir / rel;
    if (!fs::is_regular_file(p, ec)) return rel + " is missing";
    const auto size = fs::file_size(p, ec);
    const auto want = info.value("bytes", uint64_t(0));
    if (size != want)
      return rel + ": " + std::to_string(size) + " bytes, the manifest says " +
             std::to_string(want);
    if (checksums && xxh64_file(p.string()) != info.value("xxh64", std::string()))
      return rel + ": the contents changed (XXH64 differs from the manifest's)";
  }
  std::sort(listed.begin(), listed.end());
  for (const auto& rel : files_under(dir))
    if (!std::binary_search(listed.begin(), listed.end(), rel))
      return rel + " is not in the manifest";
  return std::nullopt;
}

std::vector<std::string> recover_directory(
    const std::string& dir_name, const std::function<bool(const std::string&)>& is_complete) {
  const fs::path dir(dir_name), tmp = sibling(dir, ".tmp"), old = sibling(dir, ".old"),
                                removed = sibling(dir, ".removed");
  auto complete = [&](const fs::path& p) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) return false;
    return is_complete ? is_complete(p.string()) : !verify_directory(p.string(), false).has_value();
  };
  std::vector<std::string> did;
  const std::string name = dir.filename().string();
  std::error_code ec;
  if (fs::exists(tmp, ec)) {
    if (!fs::exists(dir, ec) && complete(tmp)) {
      fs::rename(tmp, dir);
      did.push_back("completed the interrupted write of " + name + " (the new copy was whole)");
    } else {
      fs::remove_all(tmp);
      did.push_back("removed an incomplete ." + name + ".tmp left by an interrupted write");
    }
  }
  if (fs::exists(old, ec)) {
    if (!complete(dir) && complete(old)) {
      remove_quietly(dir);
      fs::rename(old, dir);
      did.push_back("restored the previous " + name + " (its replacement was not complete)");
    } else {
      fs::remove_all(old);
      did.push_back("removed ." + name + ".old, the copy an interrupted write replaced");
    }
  }
  if (fs::exists(removed, ec)) {
    fs::remove_all(removed);
    did.push_back("finished removing " + name);
  }
  if (!did.empty()) fsync_path(dir.parent_path().string());
  return did;
}

void remove_directory_atomically(const std::string& dir_name) {
  const fs::path dir(dir_name), removed = sibling(dir, ".removed");
  remove_quietly(removed);
  fs::rename(dir, removed);
  fsync_path(dir.parent_path().string());
  fault_point("dir.removed_aside");
  fs::remove_all(removed);
}

}  // namespace higgs
