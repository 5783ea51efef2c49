#include <torch/torch.h>

#include "framework/tensor_io/sharded_checkpoint.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "framework/tensor_io/file_util.h"

namespace higgs::tensor_io {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string dir_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? "." : p.substr(0, slash == 0 ? 1 : slash);
}
std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

struct ShardedCheckpoint::State {
  std::string source;
  std::map<std::string, std::string> weight_map;  // tensor name -> shard path
  std::map<std::string, std::string> index_metadata;
  std::mutex mu;
  std::map<std::string, SafetensorsFile> shards;  // opened so far, by path
};

ShardedCheckpoint ShardedCheckpoint::open(const std::string& path) {
  auto s = std::make_shared<State>();
  s->source = path;
  std::string index_path;
  if (is_dir(path)) {
    if (is_file(join(path, "model.safetensors.index.json"))) {
      index_path = join(path, "model.safetensors.index.json");
    } else if (is_file(join(path, "model.safetensors"))) {
      auto file = SafetensorsFile::open(join(path, "model.safetensors"));
      for (const auto& n : file.names()) s->weight_map[n] = file.path();
      s->shards.emplace(file.path(), file);
      return ShardedCheckpoint(s);
    } else {
      throw std::runtime_error("checkpoint directory " + path +
                               " holds neither model.safetensors.index.json nor model.safetensors");
    }
  } else if (ends_with(path, ".json")) {
    index_path = path;
  } else {
    auto file = SafetensorsFile::open(path);
    for (const auto& n : file.names()) s->weight_map[n] = file.path();
    s->shards.emplace(file.path(), file);
    return ShardedCheckpoint(s);
  }

  std::ifstream in(index_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open checkpoint index " + index_path);
  nlohmann::ordered_json index;
  try {
    index = nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint index " + index_path + " is not valid JSON: " + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
    throw std::runtime_error("checkpoint index " + index_path +
                             " has no \"weight_map\" object (name -> shard file)");
  if (index.contains("metadata") && index["metadata"].is_object())
    for (auto it = index["metadata"].begin(); it != index["metadata"].end(); ++it)
      s->index_metadata[it.key()] =
          it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  const std::string dir = dir_of(index_path);
  std::map<std::string, bool> checked;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string())
      throw std::runtime_error("checkpoint index " + index_path + ": weight_map." + it.key() +
                               " is not a file name");
    const std::string file = it.value().get<std::string>();
    // Shards live beside the index; a path that leaves the directory is refused.
    if (file.empty() || file[0] == '/' || file.find("..") != std::string::npos)
      throw std::runtime_error("checkpoint index " + index_path + ": tensor " + it.key() +
                               " names shard \"" + file +
                               "\", which is not a file name inside the checkpoint directory");
    const std::string full = join(dir, file);
    if (!checked.count(full)) {
      if (!is_file(full))
        throw std::runtime_error("checkpoint index " + index_path + " names shard " + file +
                                 ", which does not exist in " + dir +
                                 ": the download is incomplete");
      checked[full] = true;
    }
    s->weight_map[it.key()] = full;
  }
  return ShardedCheckpoint(s);
}

std::vector<std::string> ShardedCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto& kv : state_->weight_map) out.push_back(kv.first);
  return out;
}

bool ShardedCheckpoint::contains(const std::string& name) const {
  return state_->weight_map.count(name) > 0;
}

const std::string& ShardedCheckpoint::shard_of(const std::string& name) const {
  auto it = state_->weight_map.find(name);
  if (it == state_->weight_map.end())
    throw std::runtime_error("checkpoint " + state_->source + ": no tensor named " + name);
  return it->second;
}

std::vector<std::string> ShardedCheckpoint::shard_files() const {
  std::map<std::string, bool> files;
  for (const auto& kv : state_->weight_map) files[kv.second] = true;
  std::vector<std::string> out;
  for (const auto& kv : files) out.push_back(kv.first);
  return out;
}

const SafetensorsFile& ShardedCheckpoint::shard(const std::string& file) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->shards.find(file);
  if (it != state_->shards.end()) return it->second;
  SafetensorsFile f = SafetensorsFile::open(file);
  for (const auto& kv : state_->weight_map)
    if (kv.second == file && !f.contains(kv.first))
      throw std::runtime_error("checkpoint " + state_->source + ": the index puts tensor " +
                               kv.first + " in " + file +
                               ", which has no such tensor: the index and shards do not match");
  return state_->shards.emplace(file, f).first->second;
}

TensorMeta ShardedCheckpoint::info(const std::string& name) const {
  return shard(shard_of(name)).info(name);
}

std::map<std::string, TensorMeta> ShardedCheckpoint::infos() const {
  std::map<std::string, TensorMeta> out;
  for (const auto& kv : state_->weight_map) out[kv.first] = shard(kv.second).info(kv.first);
  return out;
}

at::Tensor ShardedCheckpoint::tensor(const std::string& name) const {
  return shard(shard_of(name)).tensor(name);
}

const std::map<std::string, std::string>& ShardedCheckpoint::index_metadata() const {
  return state_->index_metadata;
}

const std::string& ShardedCheckpoint::source() const { return state_->source; }

// ---------------------------------------------------------------- writing

ShardedWriteResult save_sharded_safetensors(const std::string& dir,
                                            const std::map<std::string, at::Tensor>& tensors,
                                            const ShardOptions& options) {
  if (!is_dir(dir))
    throw std::runtime_error("cannot save checkpoint: directory " + dir + " does not exist");
  std::vector<std::map<std::string, at::Tensor>> shards(1);
  std::vector<uint64_t> shard_bytes(1, 0);
  uint64_t current = 0;
  ShardedWriteResult result;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    if (!shards.back().empty() && current + bytes > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes.push_back(0);
      current = 0;
    }
    shards.back()[name] = t;
    shard_bytes.back() += bytes;
    current += bytes;
    result.total_size += bytes;
  }

  if (shards.size() == 1 && !options.always_index) {
    const std::string file = options.prefix + ".safetensors";
    save_safetensors(join(dir, file), shards[0], options.metadata);
    result.shard_files.push_back(file);
    if (options.on_file_written) options.on_file_written(file, shard_bytes[0]);
    return result;
  }
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  const size_t k = shards.size();
  for (size_t i = 0; i < k; ++i) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "-%05zu-of-%05zu.safetensors", i + 1, k);
    const std::string file = options.prefix + buf;
    save_safetensors(join(dir, file), shards[i], options.metadata);
    result.shard_files.push_back(file);
    for (const auto& kv : shards[i]) weight_map[kv.first] = file;
    if (options.on_file_written) options.on_file_written(file, shard_bytes[i]);
  }
  // Same layout as transformers: {"metadata": {"total_size": N}, "weight_map": {...}}; the map is
  // already in name order because shards are filled from a sorted map.
  nlohmann::ordered_json index = {{"metadata", {{"total_size", result.total_size}}},
                                  {"weight_map", weight_map}};
  const std::string text = index.dump(2) + "\n";
  result.index_file = options.prefix + ".safetensors.index.json";
  write_file_atomically(join(dir, result.index_file),
                        [&](const std::function<void(const void*, size_t)>& sink) {
                          sink(text.data(), text.size());
                        });
  return result;
}

}  // namespace higgs::tensor_io
