// Key/value cache of the higgs_audio decoder for incremental (autoregressive) decoding. The
// training forward never uses it; HiggsAudioModelImpl::forward_cached fills and reads it.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace higgs::higgs_audio {

/// Per-layer keys and values of every position fed so far (batch of one sequence, no padding).
struct KVCache {
  std::vector<at::Tensor> keys, values;  // per layer (B, kv_heads, T, head_dim), RoPE applied
  at::Tensor audio_keys;                 // (B, T) bool: positions routed through the audio path
  int64_t length = 0;                    // T: positions cached (= next position id)

  void clear() {
    keys.clear();
    values.clear();
    audio_keys = at::Tensor();
    length = 0;
  }
};

}  // namespace higgs::higgs_audio
