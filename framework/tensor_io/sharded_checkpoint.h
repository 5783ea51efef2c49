// Hugging Face sharded safetensors checkpoints: `model.safetensors.index.json` maps each tensor
// name to a shard file `model-00001-of-00004.safetensors` in the same directory.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "framework/tensor_io/safetensors.h"

namespace higgs::tensor_io {

/// A checkpoint spread over several safetensors files (or a single one), opened lazily: a shard
/// is mapped the first time one of its tensors is asked for. Thread-safe.
class ShardedCheckpoint {
 public:
  /// `path` is an index json, a directory holding `model.safetensors.index.json` or
  /// `model.safetensors`, or a single .safetensors file. Throws naming the path when none fits.
  static ShardedCheckpoint open(const std::string& path);

  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  bool contains(const std::string& name) const;
  /// The shard file (full path) holding `name`.
  const std::string& shard_of(const std::string& name) const;
  /// Distinct shard files, in name order.
  std::vector<std::string> shard_files() const;
  /// Shape and dtype (maps the shard header on first use).
  TensorMeta info(const std::string& name) const;
  /// Shape and dtype of every tensor (maps every shard).
  std::map<std::string, TensorMeta> infos() const;
  /// A zero-copy CPU tensor (see SafetensorsFile::tensor).
  at::Tensor tensor(const std::string& name) const;
  /// The index json's "metadata" object, as text values (e.g. "total_size"); empty for one file.
  const std::map<std::string, std::string>& index_metadata() const;
  /// Where the checkpoint was opened from (for error messages).
  const std::string& source() const;

 private:
  struct State;
  explicit ShardedCheckpoint(std::shared_ptr<State> s) : state_(std::move(s)) {}
  const SafetensorsFile& shard(const std::string& file) const;
  std::shared_ptr<State> state_;
};

/// How save_sharded_safetensors splits and names files.
struct ShardOptions {
  /// Largest shard in tensor bytes; a tensor larger than this gets a shard of its own.
  uint64_t max_shard_bytes = 5'000'000'000ULL;
  /// File name stem: `<prefix>.safetensors` or `<prefix>-00001-of-00003.safetensors`.
  std::string prefix = "model";
  /// Like Hugging Face's save_pretrained, a state dict that fits one shard is written as
  /// `<prefix>.safetensors` without an index; set to true to always write shards and an index.
  bool always_index = false;
  /// Stored as "__metadata__" in every shard (e.g. {"format": "pt"}).
  std::map<std::string, std::string> metadata = {{"format", "pt"}};
  /// Called after each shard file is written, with its tensor bytes (progress of a long export).
  std::function<void(const std::string& file, uint64_t bytes)> on_file_written;
};

/// What save_sharded_safetensors wrote.
struct ShardedWriteResult {
  std::vector<std::string> shard_files;  // file names, relative to the directory
  std::string index_file;                // empty when no index was written
  uint64_t total_size = 0;               // sum of tensor bytes
};

/// Splits `tensors` (in name order) into shards the way Hugging Face does and writes them and
/// `<prefix>.safetensors.index.json` ({"metadata": {"total_size": N}, "weight_map": {...}}) into
/// `dir`, which must exist. Each file is written atomically.
ShardedWriteResult save_sharded_safetensors(const std::string& dir,
                                            const std::map<std::string, at::Tensor>& tensors,
                                            const ShardOptions& options = {});

}  // namespace higgs::tensor_io
