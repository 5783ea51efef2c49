// libFuzzer target for the safetensors parser (parse_safetensors_header and SafetensorsFile over
// an in-memory image).
// Built by scripts/fuzz.sh (cmake -DHIGGS_FUZZ=ON, clang); replayed over
// tests/fuzz/corpus/safetensors and tests/fuzz/regressions/safetensors by the ctest
// fuzz_replay_safetensors in every build.
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
