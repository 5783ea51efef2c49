#include "framework/train/types.h"

#include <stdexcept>

namespace higgs {

const at::Tensor& Batch::at(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end() || !it->second.defined())
    throw std::runtime_error("batch has no tensor \"" + name + "\"");
  return it->second;
}

}  // namespace higgs
