// Reading a state dict saved by Python's torch.save without executing the pickle: the zip format
// (torch >= 1.6) is opened with caffe2's PyTorchStreamReader and data.pkl is read by a restricted
// unpickler that accepts only dicts of dense tensors; the legacy format (one file of pickles and
// raw storages, e.g. resemblyzer's pretrained.pt) is read by the same unpickler. LibTorch's own
// torch::pickle_load cannot read an OrderedDict state dict (see docs/checkpoints-format.md).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::tensor_io {

/// The tensors of a torch.save'd state dict, in the order the file lists them. With `key`
/// non-empty the top-level object must be a dict and its entry `key` is the state dict (for
/// checkpoints like {"state_dict": {...}, "epoch": 3}). Tensors keep the strides they were saved
/// with (a transposed view stays a view of its storage). Throws std::runtime_error naming `path`
/// on a malformed file, any global other than those a tensor state dict needs, or a non-tensor
/// entry.
std::vector<std::pair<std::string, at::Tensor>> read_pth_ordered(const std::string& path,
                                                                 const std::string& key = "");

/// Same as read_pth_ordered, as a map.
std::map<std::string, at::Tensor> read_pth(const std::string& path, const std::string& key = "");

}  // namespace higgs::tensor_io
