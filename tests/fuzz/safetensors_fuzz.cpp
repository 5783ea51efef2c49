// libFuzzer target for the safetensors parser (parse_safetensors_header and SafetensorsFile over
// an in-memory image). Not part of the default build. Build and run from the repository root:
//
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address -I. \
//     -isystem /usr/include/torch/csrc/api/include \
//     tests/fuzz/safetensors_fuzz.cpp framework/tensor_io/safetensors.cpp \
//     framework/tensor_io/file_util.cpp -o /tmp/safetensors_fuzz -ltorch -ltorch_cpu -lc10
//   mkdir -p /tmp/st_corpus && /tmp/safetensors_fuzz /tmp/st_corpus -max_total_time=60
//
// Seeds: any .safetensors files (e.g. written by tests/python/write_safetensors.py) in the corpus.
#include <torch/torch.h>

#include <cstdint>
#include <stdexcept>

#include "framework/tensor_io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto file = higgs::tensor_io::SafetensorsFile::from_buffer(data, size, "fuzz");
    // Every validated entry must be readable without touching memory outside the image.
    for (const auto& name : file.names()) {
      at::Tensor t = file.tensor(name);
      if (t.numel() > 0) {
        volatile uint8_t sink = 0;
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        sink ^= p[0];
        sink ^= p[t.numel() * t.element_size() - 1];
      }
    }
  } catch (const std::runtime_error&) {
    // Rejected input: the expected outcome for most fuzz cases.
  }
  return 0;
}
