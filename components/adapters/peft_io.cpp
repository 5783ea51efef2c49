#include <torch/torch.h>

#include "components/adapters/peft_io.h"

#include <cstring>
#include <stdexcept>

#include "framework/config/config.h"
#include "framework/util/fs.h"

namespace higgs::peft_io {

namespace {

struct DtypeName {
  at::ScalarType type;
  const char* name;
};
constexpr DtypeName kDtypes[] = {{at::kFloat, "F32"},  {at::kHalf, "F16"}, {at::kBFloat16, "BF16"},
                                 {at::kDouble, "F64"}, {at::kLong, "I64"}, {at::kInt, "I32"}};

std::string dtype_name(at::ScalarType t, const std::string& tensor) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw std::runtime_error("safetensors: tensor \"" + tensor + "\" has dtype " +
                           std::string(c10::toString(t)) + ", which adapter files do not use");
}

at::ScalarType dtype_of(const std::string& name, const std::string& source) {
  for (const auto& d : kDtypes)
    if (name == d.name) return d.type;
  throw std::runtime_error(source + ": unsupported safetensors dtype \"" + name + "\"");
}

}  // namespace

void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  std::vector<at::Tensor> cpu;
  for (const auto& [name, t] : tensors) {
    at::Tensor c = t.detach().to(at::kCPU).contiguous();
    const size_t begin = data.size(), bytes = c.numel() * c.element_size();
    data.append(static_cast<const char*>(c.data_ptr()), bytes);
    header[name] = {{"dtype", dtype_name(c.scalar_type(), name)},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {begin, begin + bytes}}};
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8,
              ' ');  // keeps the data 8-byte aligned, as safetensors does
  std::string file(8, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  write_file_atomic(path, file + text + data);
}

std::map<std::string, at::Tensor> load_safetensors(const std::string& path) {
  const std::string file = read_file(path);
  auto bad = [&](const std::string& why) {
    return std::runtime_error(path + ": not a valid safetensors file (" + why + ")");
  };
  if (file.size() < 8) throw bad("shorter than its 8-byte header length");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<unsigned char>(file[i])) << (8 * i);
  if (n > file.size() - 8) throw bad("header length past the end of the file");
  Json header;
  try {
    header = Json::parse(file.substr(8, n));
  } catch (const std::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw bad("header is not a JSON object");
  const uint64_t data_size = file.size() - 8 - n;
  const char* data = file.data() + 8 + n;
  std::map<std::string, at::Tensor> out;
  for (const auto& [name, e] : header.items()) {
    if (name == "__metadata__") continue;
    try {
      at::ScalarType type = dtype_of(e.at("dtype").get<std::string>(), path);
      std::vector<int64_t> shape = e.at("shape").get<std::vector<int64_t>>();
      uint64_t begin = e.at("data_offsets").at(0), end = e.at("data_offsets").at(1);
      at::Tensor t = torch::empty(shape, torch::dtype(type));
      if (begin > end || end > data_size || end - begin != t.numel() * t.element_size())
        throw bad("tensor \"" + name + "\" has data offsets that do not fit its shape");
      std::memcpy(t.data_ptr(), data + begin, end - begin);
      out[name] = t;
    } catch (const nlohmann::json::exception& ex) {
      throw bad("entry \"" + name + "\": " + ex.what());
    }
  }
  return out;
}

}  // namespace higgs::peft_io
