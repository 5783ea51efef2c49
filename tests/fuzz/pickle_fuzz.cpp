// libFuzzer target for the restricted unpickler that reads data.pkl of torch.save archives.
// Built by scripts/fuzz.sh (cmake -DHIGGS_FUZZ=ON, clang); replayed over tests/fuzz/corpus/pickle
// and tests/fuzz/regressions/pickle by the ctest fuzz_replay_pickle in every build.
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
