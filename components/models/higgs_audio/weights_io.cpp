#include "components/models/higgs_audio/weights_io.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace higgs::higgs_audio {

void write_weights_pickle(const std::string& path,
                          const std::map<std::string, at::Tensor>& tensors) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& kv : tensors) dict.insert(kv.first, kv.second.detach().cpu().contiguous());
  std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot write weights");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
}

std::map<std::string, at::Tensor> read_weights_pickle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open weights");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue v;
  try {
    v = torch::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a torch pickle of a dict of tensors: " + e.what());
  }
  if (!v.isGenericDict()) throw std::runtime_error(path + ": expected a dict of tensors");
  std::map<std::string, at::Tensor> out;
  for (const auto& kv : v.toGenericDict()) {
    if (!kv.key().isString() || !kv.value().isTensor())
      throw std::runtime_error(path + ": expected a dict of name -> tensor");
    out[kv.key().toStringRef()] = kv.value().toTensor();
  }
  return out;
}

std::map<std::string, at::Tensor> read_checkpoint_weights(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path d(dir);
  if (fs::exists(d / kInterimWeightsFile))
    return read_weights_pickle((d / kInterimWeightsFile).string());
  if (fs::exists(d / "model.safetensors.index.json") || fs::exists(d / "model.safetensors"))
    throw std::runtime_error(
        dir +
        ": holds a safetensors checkpoint, which this build of the higgs_audio model cannot "
        "read yet (the framework's safetensors reader is not wired into it); use init: "
        "\"random\" or a directory written by higgs-train");
  throw std::runtime_error(dir + ": no weights found (expected " + kInterimWeightsFile +
                           " or model.safetensors.index.json); set model.path to a checkpoint "
                           "directory or use init: \"random\"");
}

}  // namespace higgs::higgs_audio
