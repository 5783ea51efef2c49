// libFuzzer target for the restricted unpickler that reads data.pkl of torch.save archives. Not
// part of the default build. Build and run from the repository root:
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address -I. \
//     -isystem /usr/include/torch/csrc/api/include \
//     tests/fuzz/pickle_fuzz.cpp framework/tensor_io/restricted_unpickler.cpp \
//     -o /tmp/pickle_fuzz -ltorch -ltorch_cpu -lc10
//   mkdir -p /tmp/pkl_corpus && /tmp/pickle_fuzz /tmp/pkl_corpus -max_total_time=60
//
// Seeds: the data.pkl records of files from tests/python/write_pth.py (unzip -p FILE '*/data.pkl').
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>

#include "framework/tensor_io/restricted_unpickler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Storages are zeros of the requested size, capped so the fuzzer does not run out of memory.
  higgs::tensor_io::StorageLoader load = [](const std::string&, at::ScalarType dtype,
                                            int64_t numel) {
    if (numel > (1 << 16)) throw std::runtime_error("storage too large for fuzzing");
    return at::zeros({numel}, at::TensorOptions().dtype(dtype));
  };
  try {
    auto doc = higgs::tensor_io::unpickle_restricted(data, size, load, "fuzz");
    const auto* v = doc->root;
    if (v->kind == higgs::tensor_io::PickleValue::Kind::Dict)
      for (const auto& kv : v->dict)
        if (kv.second->kind == higgs::tensor_io::PickleValue::Kind::Tensor)
          (void)kv.second->tensor.sum().item<double>();  // touches every element of the view
  } catch (const std::runtime_error&) {
  }
  return 0;
}
