#include <torch/torch.h>

#include "framework/tensor_io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "framework/tensor_io/file_util.h"

namespace higgs::tensor_io {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; this reader assumes a little-endian host");

// The Python library refuses headers above 100 MB; a bigger length means a corrupt file.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeSpec {
  const char* name;
  at::ScalarType type;
  // Position in the Rust library's Dtype enum: it orders tensors in the data section by this,
  // largest first, so every tensor starts aligned to its element size.
  int rank;
};

constexpr DtypeSpec kDtypes[] = {
    {"BOOL", at::kBool, 0}, {"U8", at::kByte, 1},    {"I8", at::kChar, 2},
    {"I16", at::kShort, 5}, {"F16", at::kHalf, 7},   {"BF16", at::kBFloat16, 8},
    {"I32", at::kInt, 9},   {"F32", at::kFloat, 11}, {"F64", at::kDouble, 12},
    {"I64", at::kLong, 13},
};

const DtypeSpec* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeSpec& spec_of(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d;
  throw std::runtime_error(std::string("dtype ") + c10::toString(t) +
                           " cannot be stored in safetensors (supported: F32, F16, BF16, F64, "
                           "I64, I32, I16, I8, U8, BOOL)");
}

[[noreturn]] void fail(const std::string& source, const std::string& msg) {
  throw std::runtime_error("file " + source + ": " + msg);
}

std::string range(uint64_t a, uint64_t b) {
  return "[" + std::to_string(a) + "," + std::to_string(b) + ")";
}

SafetensorsEntry parse_entry(const nlohmann::json& j, const std::string& source,
                             const std::string& name) {
  const std::string where = "tensor " + name + ": ";
  if (!j.is_object()) fail(source, where + "header entry is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      fail(source, where + "unknown header field \"" + it.key() +
                       "\" (expected dtype, shape, data_offsets)");
  SafetensorsEntry e;
  auto dt = j.find("dtype");
  if (dt == j.end() || !dt->is_string()) fail(source, where + "missing string field \"dtype\"");
  const DtypeSpec* spec = find_dtype(dt->get<std::string>());
  if (spec == nullptr)
    fail(source, where + "unknown dtype \"" + dt->get<std::string>() +
                     "\" (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
  e.meta.dtype = spec->type;

  auto sh = j.find("shape");
  if (sh == j.end() || !sh->is_array()) fail(source, where + "missing array field \"shape\"");
  uint64_t numel = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_unsigned())
      fail(source, where + "shape " + sh->dump() + " must hold non-negative integers");
    uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, v, &numel))
      fail(source, where + "shape " + sh->dump() + " is too large");
    e.meta.shape.push_back(static_cast<int64_t>(v));
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(c10::elementSize(spec->type)), &nbytes))
    fail(source, where + "shape " + sh->dump() + " is too large");

  auto off = j.find("data_offsets");
  if (off == j.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
      !(*off)[1].is_number_unsigned())
    fail(source, where + "\"data_offsets\" must be two non-negative integers [begin, end]");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.end < e.begin)
    fail(source, where + "data offsets " + range(e.begin, e.end) + " end before they begin");
  if (e.end - e.begin != nbytes)
    fail(source, where + "data offsets " + range(e.begin, e.end) + " hold " +
                     std::to_string(e.end - e.begin) + " bytes but shape " + sh->dump() + " of " +
                     dt->get<std::string>() + " needs " + std::to_string(nbytes) + " bytes");
  return e;
}

}  // namespace

std::string safetensors_dtype_name(at::ScalarType t) { return spec_of(t).name; }

SafetensorsHeader parse_safetensors_header(const uint8_t* data, size_t size,
                                           const std::string& source) {
  if (size < 8)
    fail(source, "only " + std::to_string(size) +
                     " bytes, too short for a safetensors file (8-byte header length + header)");
  uint64_t n = 0;
  std::memcpy(&n, data, 8);
  if (n > kMaxHeaderBytes || n > size - 8)
    fail(source, "header length " + std::to_string(n) + " exceeds the file size " +
                     std::to_string(size) + ": the file is truncated or not a safetensors file");
  const char* text = reinterpret_cast<const char*>(data + 8);
  if (n == 0 || text[0] != '{')
    fail(source, "the header does not start with '{': not a safetensors file");

  SafetensorsHeader h;
  h.data_start = 8 + n;
  const uint64_t data_size = size - h.data_start;

  // The JSON parser would silently keep one of two entries with the same name; refuse instead.
  std::unordered_set<std::string> seen;
  std::string duplicate;
  auto on_event = [&](int depth, nlohmann::ordered_json::parse_event_t ev,
                      nlohmann::ordered_json& parsed) {
    if (depth == 1 && ev == nlohmann::ordered_json::parse_event_t::key && duplicate.empty() &&
        !seen.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  nlohmann::ordered_json root;
  try {
    root = nlohmann::ordered_json::parse(text, text + n, on_event);
  } catch (const nlohmann::json::exception& e) {
    fail(source, std::string("the JSON header does not parse: ") + e.what());
  }
  if (!duplicate.empty()) fail(source, "tensor " + duplicate + " appears twice in the header");
  if (!root.is_object()) fail(source, "the JSON header is not an object");

  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) fail(source, "\"__metadata__\" is not a JSON object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          fail(source, "\"__metadata__\"." + m.key() +
                           " is not a string (safetensors metadata "
                           "values are strings)");
        h.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    SafetensorsEntry e = parse_entry(it.value(), source, it.key());
    if (e.end > data_size)
      fail(source, "tensor " + it.key() + ": data offsets " + range(e.begin, e.end) +
                       " exceed file size " + std::to_string(size) + " (data section of " +
                       std::to_string(data_size) + " bytes after a header of " +
                       std::to_string(h.data_start) + "): the file is truncated or corrupt");
    h.entries.emplace_back(it.key(), std::move(e));
  }

  std::vector<size_t> order;
  for (size_t i = 0; i < h.entries.size(); ++i)
    if (h.entries[i].second.end > h.entries[i].second.begin) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return h.entries[a].second.begin < h.entries[b].second.begin;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = h.entries[order[k - 1]];
    const auto& cur = h.entries[order[k]];
    if (prev.second.end > cur.second.begin)
      fail(source, "tensors " + prev.first + " " + range(prev.second.begin, prev.second.end) +
                       " and " + cur.first + " " + range(cur.second.begin, cur.second.end) +
                       " overlap: the file is corrupt");
  }
  return h;
}

// ---------------------------------------------------------------- SafetensorsFile

struct SafetensorsFile::Impl {
  std::string path;
  std::unique_ptr<MappedFile> mapping;  // set by open()
  std::vector<uint8_t> owned;           // set by from_buffer()
  uint8_t* base = nullptr;
  size_t size = 0;
  SafetensorsHeader header;
  std::unordered_map<std::string, size_t> index;

  void init() {
    header = parse_safetensors_header(base, size, path);
    for (size_t i = 0; i < header.entries.size(); ++i) index[header.entries[i].first] = i;
  }
  const SafetensorsEntry& entry(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end())
      throw std::runtime_error("file " + path + ": no tensor named " + name + " (the file has " +
                               std::to_string(index.size()) + " tensors)");
    return header.entries[it->second].second;
  }
};

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto impl = std::make_shared<Impl>();
  impl->path = path;
  impl->mapping = std::make_unique<MappedFile>(path);
  impl->base = impl->mapping->data();
  impl->size = impl->mapping->size();
  impl->init();
  return SafetensorsFile(std::move(impl));
}

SafetensorsFile SafetensorsFile::from_buffer(const void* data, size_t size,
                                             const std::string& source) {
  auto impl = std::make_shared<Impl>();
  impl->path = source;
  impl->owned.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  impl->base = impl->owned.data();
  impl->size = size;
  impl->init();
  return SafetensorsFile(std::move(impl));
}

const std::string& SafetensorsFile::path() const { return impl_->path; }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(impl_->header.entries.size());
  for (const auto& e : impl_->header.entries) out.push_back(e.first);
  return out;
}

bool SafetensorsFile::contains(const std::string& name) const {
  return impl_->index.count(name) > 0;
}

const TensorMeta& SafetensorsFile::info(const std::string& name) const {
  return impl_->entry(name).meta;
}

std::map<std::string, TensorMeta> SafetensorsFile::infos() const {
  std::map<std::string, TensorMeta> out;
  for (const auto& e : impl_->header.entries) out[e.first] = e.second.meta;
  return out;
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const {
  return impl_->header.metadata;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = impl_->entry(name);
  auto options = at::TensorOptions().dtype(e.meta.dtype).device(at::kCPU);
  const size_t nbytes = e.end - e.begin;
  if (nbytes == 0) return at::empty(e.meta.shape, options);
  uint8_t* p = impl_->base + impl_->header.data_start + e.begin;
  if (reinterpret_cast<uintptr_t>(p) % c10::elementSize(e.meta.dtype) == 0) {
    std::shared_ptr<const Impl> keep = impl_;
    return torch::from_blob(
        p, e.meta.shape, [keep](void*) {}, options);
  }
  at::Tensor t = at::empty(e.meta.shape, options);
  std::memcpy(t.data_ptr(), p, nbytes);
  return t;
}

std::map<std::string, at::Tensor> SafetensorsFile::tensors() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& e : impl_->header.entries) out[e.first] = tensor(e.first);
  return out;
}

const uint8_t* SafetensorsFile::image_data() const { return impl_->base; }
size_t SafetensorsFile::image_size() const { return impl_->size; }

// ---------------------------------------------------------------- writing

namespace {

using Sink = std::function<void(const void*, size_t)>;

struct Planned {
  std::string name;
  at::Tensor tensor;
  const DtypeSpec* spec;
  uint64_t begin = 0, end = 0;
};

// Lays the tensors out like the Python library and returns the padded header.
std::string plan_layout(const std::map<std::string, at::Tensor>& tensors,
                        const std::map<std::string, std::string>& metadata,
                        std::vector<Planned>& plan) {
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw std::runtime_error("cannot save tensor " + name + ": it is undefined");
    const DtypeSpec* spec = nullptr;
    try {
      spec = &spec_of(t.scalar_type());
    } catch (const std::exception& e) {
      throw std::runtime_error("cannot save tensor " + name + ": " + e.what());
    }
    plan.push_back({name, t, spec});
  }
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    if (a.spec->rank != b.spec->rank) return a.spec->rank > b.spec->rank;
    return a.name < b.name;
  });
  uint64_t offset = 0;
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  for (auto& p : plan) {
    p.begin = offset;
    offset += static_cast<uint64_t>(p.tensor.numel()) * p.tensor.element_size();
    p.end = offset;
    header[p.name] = {{"dtype", p.spec->name},
                      {"shape", p.tensor.sizes().vec()},
                      {"data_offsets", {p.begin, p.end}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void write_safetensors(const std::map<std::string, at::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata, const Sink& sink) {
  std::vector<Planned> plan;
  const std::string header = plan_layout(tensors, metadata, plan);
  const uint64_t n = header.size();
  sink(&n, 8);
  sink(header.data(), header.size());
  for (const auto& p : plan) {
    if (p.end == p.begin) continue;
    // One tensor at a time, so a device checkpoint never needs a second full copy in RAM.
    at::Tensor t = p.tensor.detach().to(at::kCPU).contiguous();
    sink(t.data_ptr(), p.end - p.begin);
  }
}

}  // namespace

std::string serialize_safetensors(const std::map<std::string, at::Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  std::string out;
  write_safetensors(tensors, metadata,
                    [&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); });
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path,
                        [&](const Sink& sink) { write_safetensors(tensors, metadata, sink); });
}

}  // namespace higgs::tensor_io
