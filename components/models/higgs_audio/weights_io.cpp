#include <torch/torch.h>

#include "components/models/higgs_audio/weights_io.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "framework/tensor_io/sharded_checkpoint.h"
#include "framework/tensor_io/torch_pickle.h"

namespace higgs::higgs_audio {

void write_weights_pickle(const std::string& path,
                          const std::map<std::string, at::Tensor>& tensors) {
  const std::vector<char> bytes = tensor_io::torch_pickle_bytes(tensors);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error(path + ": cannot write weights");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
}

std::map<std::string, at::Tensor> read_weights_pickle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open weights");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return tensor_io::read_torch_pickle(bytes, path);
}

void load_checkpoint_weights(
    const std::string& dir,
    const std::function<void(const std::vector<std::string>&,
                             const std::function<at::Tensor(const std::string&)>&)>& load) {
  namespace fs = std::filesystem;
  const fs::path d(dir);
  const bool has_st =
      fs::exists(d / "model.safetensors.index.json") || fs::exists(d / "model.safetensors");
  if (has_st) {
    auto ck = tensor_io::ShardedCheckpoint::open(dir);
    load(ck.names(), [&ck](const std::string& n) { return ck.tensor(n); });
    return;
  }
  if (fs::exists(d / kInterimWeightsFile)) {
    auto tensors = read_weights_pickle((d / kInterimWeightsFile).string());
    std::vector<std::string> names;
    for (const auto& kv : tensors) names.push_back(kv.first);
    load(names, [&tensors](const std::string& n) { return tensors.at(n); });
    return;
  }
  if (has_st)
    throw std::runtime_error(dir +
                             ": holds a safetensors checkpoint, which this build cannot read "
                             "(built without framework/tensor_io)");
  throw std::runtime_error(dir +
                           ": no weights found (expected model.safetensors.index.json, "
                           "model.safetensors or " +
                           kInterimWeightsFile +
                           "); set model.path to a checkpoint directory or use init: \"random\"");
}

void save_checkpoint_weights(const std::string& dir,
                             const std::map<std::string, at::Tensor>& tensors) {
  namespace fs = std::filesystem;
  std::map<std::string, at::Tensor> cpu;
  for (const auto& kv : tensors) cpu[kv.first] = kv.second.detach().cpu();
  tensor_io::save_sharded_safetensors(dir, cpu);
}

}  // namespace higgs::higgs_audio
