#include <torch/torch.h>

#include "framework/tensor_io/pth_reader.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>

#include <caffe2/serialize/inline_container.h>

#include "framework/tensor_io/restricted_unpickler.h"

namespace higgs::tensor_io {
namespace {

using Kind = PickleValue::Kind;

enum class Format { kZip, kLegacy };

Format file_format(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string(magic, 4) == std::string("PK\x03\x04", 4))
    return Format::kZip;
  if (in.gcount() >= 1 && static_cast<unsigned char>(magic[0]) == 0x80) return Format::kLegacy;
  throw std::runtime_error(path + " is not a torch.save file (neither a zip archive nor a pickle)");
}

// The legacy torch.save format (torch < 1.6, or _use_new_zipfile_serialization=False), e.g.
// resemblyzer's pretrained.pt: five pickles one after another (the magic number, the protocol
// version, sys info, the object with storages as persistent ids, the list of storage keys), then
// each storage's raw bytes in that order, each after its element count as a little-endian int64.
std::unique_ptr<PickleDocument> read_legacy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  // pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2): PROTO 2, LONG1 of 10 bytes, STOP.
  static const uint8_t kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                   0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
  if (bytes.size() < sizeof kMagic || std::memcmp(data, kMagic, sizeof kMagic) != 0)
    throw std::runtime_error(path +
                             " is a pickle but not a torch.save file (no torch magic number)");
  size_t pos = sizeof kMagic, used = 0;
  const StorageLoader none = [&](const std::string&, at::ScalarType, int64_t) -> at::Tensor {
    throw std::runtime_error(path + ": a storage outside the saved object");
  };
  auto version = unpickle_restricted(data + pos, bytes.size() - pos, none, path, &used);
  pos += used;
  if (version->root->kind != Kind::Int || version->root->integer != 1001)
    throw std::runtime_error(path + ": legacy torch.save protocol " +
                             (version->root->kind == Kind::Int
                                  ? std::to_string(version->root->integer)
                                  : version->root->kind_name()) +
                             " is not supported (1001 is)");
  unpickle_restricted(data + pos, bytes.size() - pos, none, path, &used);  // sys info
  pos += used;
  // The storages are made empty here and filled below, once their bytes are found.
  std::map<std::string, at::Tensor> storages;
  const StorageLoader placeholder = [&](const std::string& key, at::ScalarType dtype,
                                        int64_t numel) -> at::Tensor {
    if (numel > static_cast<int64_t>(bytes.size()))
      throw std::runtime_error(path + ": storage " + key + " of " + std::to_string(numel) +
                               " elements is larger than the file");
    return storages[key] = at::empty({numel}, at::TensorOptions().dtype(dtype));
  };
  auto doc = unpickle_restricted(data + pos, bytes.size() - pos, placeholder, path, &used);
  pos += used;
  auto keys = unpickle_restricted(data + pos, bytes.size() - pos, none, path, &used);
  pos += used;
  if (keys->root->kind != Kind::List)
    throw std::runtime_error(path + ": the storage key list is a " + keys->root->kind_name());
  for (const auto* k : keys->root->items) {
    if (k->kind != Kind::String || !storages.count(k->text))
      throw std::runtime_error(path + ": the storage key list names an unknown storage");
    at::Tensor& t = storages[k->text];
    int64_t numel = 0;
    if (bytes.size() - pos < 8) throw std::runtime_error(path + ": truncated storage data");
    std::memcpy(&numel, data + pos, 8);
    pos += 8;
    const size_t n = static_cast<size_t>(t.numel()) * t.element_size();
    if (numel != t.numel() || bytes.size() - pos < n)
      throw std::runtime_error(path + ": storage " + k->text + " holds " + std::to_string(numel) +
                               " elements where " + std::to_string(t.numel()) +
                               " were declared, or is truncated");
    std::memcpy(t.data_ptr(), data + pos, n);
    pos += n;
  }
  return doc;
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

std::unique_ptr<PickleDocument> read_zip(const std::string& path) {
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
  return unpickle_restricted(static_cast<const uint8_t*>(pkl.get()), pkl_size, load, path);
}

}  // namespace

std::vector<std::pair<std::string, at::Tensor>> read_pth_ordered(const std::string& path,
                                                                 const std::string& key) {
  const std::unique_ptr<PickleDocument> doc =
      file_format(path) == Format::kLegacy ? read_legacy(path) : read_zip(path);
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
