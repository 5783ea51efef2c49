// name -> tensor maps in torch.save's zip format: the .pt files of checkpoints (trainable.pt,
// optimizer.pt, rng.pt) and the weights files of the released pickle layout. Written so that
// Python's torch.load opens them with its default weights_only=True (torch >= 2.6).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::tensor_io {

/// The bytes of torch.save({name: tensor}); tensors are copied to the CPU, contiguous.
std::vector<char> torch_pickle_bytes(const std::map<std::string, at::Tensor>& tensors);

/// Reads a torch.save'd dict of tensors written by torch_pickle_bytes or torch.save (with a plain
/// dict); throws naming `source` when the bytes are not one.
std::map<std::string, at::Tensor> read_torch_pickle(const std::vector<char>& bytes,
                                                    const std::string& source);

}  // namespace higgs::tensor_io
