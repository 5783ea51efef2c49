// A restricted unpickler for the data.pkl of a torch.save zip archive. It implements only the
// opcodes torch.save emits and only the globals a state dict of dense tensors needs
// (collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter, the typed
// storage classes); any other global is refused, so nothing a pickle names is ever executed.
// Internal to tensor_io: use pth_reader.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace higgs::tensor_io {

struct PickleValue;
/// Values point at each other without owning: a pickle can build cycles (a dict holding itself),
/// so every value is owned by its PickleDocument.
using PickleValuePtr = PickleValue*;

/// One unpickled object.
struct PickleValue {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                             // String; Global "module.name"
  std::vector<PickleValuePtr> items;                            // Tuple, List
  std::vector<std::pair<PickleValuePtr, PickleValuePtr>> dict;  // Dict, in insertion order
  std::unordered_map<std::string, size_t> string_keys;          // Dict: string key -> position
  at::Tensor tensor;  // Storage: the whole storage as a 1-D tensor; Tensor: the tensor

  /// "int", "dict", "tensor", ... for error messages.
  std::string kind_name() const;
};

/// Everything one data.pkl unpickled to.
struct PickleDocument {
  std::vector<std::unique_ptr<PickleValue>> arena;  // owns every value
  PickleValue* root = nullptr;
};

/// Returns the storage with record key `key` (data/<key>) as a 1-D tensor of `numel` elements of
/// `dtype`; called once per distinct key.
using StorageLoader =
    std::function<at::Tensor(const std::string& key, at::ScalarType dtype, int64_t numel)>;

/// Unpickles `data[0, size)` up to its STOP opcode; `consumed` (when given) gets the bytes it
/// took, for files that hold several pickles one after another (the legacy torch.save format).
/// Throws std::runtime_error naming `source` on a malformed pickle or a refused global. Safe on
/// any input.
std::unique_ptr<PickleDocument> unpickle_restricted(const uint8_t* data, size_t size,
                                                    const StorageLoader& load,
                                                    const std::string& source,
                                                    size_t* consumed = nullptr);

}  // namespace higgs::tensor_io
