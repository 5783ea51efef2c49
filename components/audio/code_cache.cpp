#include "components/audio/code_cache.h"

#include <filesystem>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "framework/tensor_io/safetensors.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;

namespace higgs {

CodeCache::CodeCache(std::string dir, std::string tokenizer_identity)
    : dir_(std::move(dir)), tokenizer_identity_(std::move(tokenizer_identity)) {
  if (!dir_.empty()) dir_ = (fs::path(dir_) / fnv1a_hex(tokenizer_identity_)).string();
}

std::string CodeCache::path_of(const std::string& key) const {
  return (fs::path(dir_) / key.substr(0, 2) / (key + ".safetensors")).string();
}

std::optional<at::Tensor> CodeCache::get(const std::string& key) {
  if (!enabled()) return std::nullopt;
  std::string path = path_of(key);
  if (!fs::exists(path)) {
    ++misses_;
    return std::nullopt;
  }
  try {
    auto file = tensor_io::SafetensorsFile::open(path);
    auto meta = file.metadata();
    auto it = meta.find("tokenizer");
    if (it == meta.end() || it->second != tokenizer_identity_)
      throw std::runtime_error("written by another audio tokenizer");
    at::Tensor codes = file.tensor("codes").clone();
    if (codes.dim() != 2 || codes.scalar_type() != at::kLong)
      throw std::runtime_error("codes are not a 2-D int64 tensor");
    ++hits_;
    return codes;
  } catch (const std::exception& e) {
    spdlog::warn("code cache: {} is unusable ({}); re-encoding it", path, e.what());
    std::error_code ec;
    fs::remove(path, ec);
    ++misses_;
    return std::nullopt;
  }
}

void CodeCache::put(const std::string& key, const at::Tensor& codes, const std::string& source) {
  if (!enabled()) return;
  std::string path = path_of(key);
  fs::create_directories(fs::path(path).parent_path());
  tensor_io::save_safetensors(path, {{"codes", codes.contiguous().cpu()}},
                              {{"tokenizer", tokenizer_identity_}, {"source", source}});
}

std::string audio_cache_key(const std::string& content_hash, double offset, double duration) {
  if (offset == 0.0 && duration <= 0.0) return content_hash;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "-%.6f-%.6f", offset, duration);
  return content_hash + fnv1a_hex(buf);
}

}  // namespace higgs
