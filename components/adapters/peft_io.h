// Reading and writing PEFT's adapter files: adapter_config.json and adapter_model.safetensors.
//
// A small private safetensors codec, enough for adapter files (F32/F16/BF16/F64 tensors on CPU).
// TODO(lead): switch to framework/tensor_io/safetensors.h once it is on main; the calls map 1:1
// onto tensor_io::save_safetensors and SafetensorsFile::open(path).tensors().
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace higgs::peft_io {

/// Writes tensors (any device, any layout) in the safetensors format, atomically.
void save_safetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads every tensor of a safetensors file into CPU memory; errors name the file.
std::map<std::string, at::Tensor> load_safetensors(const std::string& path);

}  // namespace higgs::peft_io
