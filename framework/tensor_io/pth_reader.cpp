#include <torch/torch.h>

#include "framework/tensor_io/pth_reader.h"

#include <fstream>
#include <memory>
#include <stdexcept>

#include <caffe2/serialize/inline_container.h>

#include "framework/tensor_io/restricted_unpickler.h"

namespace higgs::tensor_io {
namespace {

using Kind = PickleValue::Kind;

void check_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string(magic, 4) == std::string("PK\x03\x04", 4)) return;
  if (in.gcount() >= 1 && static_cast<unsigned char>(magic[0]) == 0x80)
    throw std::runtime_error(path +
                             " is a legacy (pre-zip) torch.save file; re-save it in Python with "
                             "torch.save(torch.load(p), p) using torch >= 1.6");
  throw std::runtime_error(path + " is not a torch.save zip archive");
}

std::string quoted_keys(const PickleValue& d) {
  std::string out;
  for (size_t i = 0; i < d.dict.size() && i < 20; ++i)
    out +=
        (i ? ", " : "") + (d.dict[i].first->kind == Kind::String ? "'" + d.dict[i].first->text + "'"
                                                                 : d.dict[i].first->kind_name());
  if (d.dict.size() > 20) out += ", ...";
  return out;
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> read_pth_ordered(const std::string& path,
                                                                 const std::string& key) {
  check_magic(path);
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read " + path +
                             " as a torch.save archive: " + c10::GetExceptionString(e));
  }
  if (reader->hasRecord("constants.pkl"))
    throw std::runtime_error(path +
                             " is a TorchScript archive (torch.jit.save), not a state "
                             "dict; load it with torch::jit::load");
  if (!reader->hasRecord("data.pkl"))
    throw std::runtime_error(path + " has no data.pkl record: not a torch.save archive");
  if (reader->hasRecord("byteorder")) {
    auto [ptr, n] = reader->getRecord("byteorder");
    if (std::string(static_cast<const char*>(ptr.get()), n) != "little")
      throw std::runtime_error(path + " was saved on a big-endian machine; this is not supported");
  }

  StorageLoader load = [&](const std::string& storage_key, at::ScalarType dtype,
                           int64_t numel) -> at::Tensor {
    const std::string record = "data/" + storage_key;
    if (storage_key.empty() || storage_key.find("..") != std::string::npos ||
        !reader->hasRecord(record))
      throw std::runtime_error("file " + path + ": storage record " + record +
                               " is missing: the file is truncated or corrupt");
    auto [ptr, nbytes] = reader->getRecord(record);
    uint64_t need = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel),
                               static_cast<uint64_t>(c10::elementSize(dtype)), &need) ||
        nbytes < need)
      throw std::runtime_error("file " + path + ": storage record " + record + " holds " +
                               std::to_string(nbytes) + " bytes, less than " +
                               std::to_string(numel) + " elements of " + c10::toString(dtype));
    if (numel == 0) return at::empty({0}, at::TensorOptions().dtype(dtype));
    auto holder = std::make_shared<at::DataPtr>(std::move(ptr));
    return torch::from_blob(
        holder->get(), {numel}, [holder](void*) {}, at::TensorOptions().dtype(dtype));
  };

  auto [pkl, pkl_size] = reader->getRecord("data.pkl");
  auto doc = unpickle_restricted(static_cast<const uint8_t*>(pkl.get()), pkl_size, load, path);
  const PickleValue* root = doc->root;
  const PickleValue* dict = root;
  const std::string where = key.empty() ? "" : "['" + key + "']";
  if (!key.empty()) {
    if (root->kind != Kind::Dict)
      throw std::runtime_error(path + ": the saved object is a " + root->kind_name() +
                               ", not a dict with key '" + key + "'");
    auto it = root->string_keys.find(key);
    if (it == root->string_keys.end())
      throw std::runtime_error(path + ": the saved dict has no key '" + key +
                               "' (keys: " + quoted_keys(*root) + ")");
    dict = root->dict[it->second].second;
  }
  if (dict->kind != Kind::Dict)
    throw std::runtime_error(path + ": the saved object" + where + " is a " + dict->kind_name() +
                             ", not a state dict (a dict of tensors)");

  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [k, v] : dict->dict) {
    if (k->kind != Kind::String)
      throw std::runtime_error(path + ": state dict" + where + " has a key of type " +
                               k->kind_name() + "; tensor names must be strings");
    if (v->kind == Kind::Tensor) {
      out.emplace_back(k->text, v->tensor);
    } else if (v->kind == Kind::Dict && key.empty()) {
      throw std::runtime_error(path + ": entry '" + k->text +
                               "' is a dict, not a tensor; if the state dict is inside it, read "
                               "it with key '" +
                               k->text + "'");
    } else {
      throw std::runtime_error(path + ": entry" + where + " '" + k->text + "' is a " +
                               v->kind_name() + ", not a tensor");
    }
  }
  return out;
}

std::map<std::string, at::Tensor> read_pth(const std::string& path, const std::string& key) {
  auto ordered = read_pth_ordered(path, key);
  return std::map<std::string, at::Tensor>(ordered.begin(), ordered.end());
}

}  // namespace higgs::tensor_io
