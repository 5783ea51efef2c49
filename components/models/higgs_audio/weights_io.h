// Weight files of the higgs_audio model: sharded (or single-file) safetensors in the released
// layout, read and written through framework/tensor_io.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::higgs_audio {

inline constexpr const char* kInterimWeightsFile = "weights.pt";

/// Writes {name: tensor} as a torch pickle (python: torch.load(path) -> dict).
void write_weights_pickle(const std::string& path,
                          const std::map<std::string, at::Tensor>& tensors);
/// Reads a torch pickle holding a plain dict of tensors (C++ write_weights_pickle or Python
/// torch.save of a dict; not an OrderedDict state_dict, see toolchain.md section 8).
std::map<std::string, at::Tensor> read_weights_pickle(const std::string& path);

/// Loads the weights of a checkpoint directory into `load(names, fetch)`, tensor by tensor
/// (safetensors tensors are memory-mapped, so no second full copy exists). Throws, naming the
/// directory and what to do, when nothing readable is there.
void load_checkpoint_weights(
    const std::string& dir,
    const std::function<void(const std::vector<std::string>&,
                             const std::function<at::Tensor(const std::string&)>&)>& load);

/// Writes the weights into `dir`: sharded safetensors in the Hugging Face layout when available,
/// else the interim weights.pt.
void save_checkpoint_weights(const std::string& dir,
                             const std::map<std::string, at::Tensor>& tensors);

}  // namespace higgs::higgs_audio
