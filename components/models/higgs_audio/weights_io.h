// Weight files of the higgs_audio model. The released checkpoint is sharded safetensors; until the
// framework's safetensors reader is wired in here, the model reads and writes its own interim
// format: `weights.pt`, a torch pickle of {name: tensor} that Python's torch.load also opens.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace higgs::higgs_audio {

inline constexpr const char* kInterimWeightsFile = "weights.pt";

/// Writes {name: tensor} as a torch pickle (python: torch.load(path) -> dict).
void write_weights_pickle(const std::string& path,
                          const std::map<std::string, at::Tensor>& tensors);
/// Reads a torch pickle holding a plain dict of tensors (C++ write_weights_pickle or Python
/// torch.save of a dict; not an OrderedDict state_dict, see toolchain.md section 8).
std::map<std::string, at::Tensor> read_weights_pickle(const std::string& path);

/// Reads the weights of a checkpoint directory. Throws, naming the directory and what to do,
/// when it holds only safetensors (not readable by this build yet) or nothing known.
std::map<std::string, at::Tensor> read_checkpoint_weights(const std::string& dir);

}  // namespace higgs::higgs_audio
