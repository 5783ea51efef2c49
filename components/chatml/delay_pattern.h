// The delay pattern of MusicGen as Higgs Audio uses it
// (boson_multimodal/model/higgs_audio/utils.py): codebook k is shifted right by k frames, so frame
// t of codebook k is predicted together with frame t-k of codebook 0. See docs/data-format.md,
// "Delay pattern".
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace higgs {

/// Result of build_delay_pattern_mask: both (B, K, T+K-1) int64.
struct DelayPattern {
  at::Tensor ids;                // leading cells = bos, trailing cells = pad
  at::Tensor ids_with_gen_mask;  // the same with -1 in the trailing cells (to be generated)
};

/// Applies the delay pattern to `input_ids` (B, K, T): row k becomes k x bos, the T codes of row
/// k, then (K-1-k) x pad.
DelayPattern build_delay_pattern_mask(const at::Tensor& input_ids, int64_t bos_token_id,
                                      int64_t pad_token_id);

/// Inverse for one segment: (K, T+K-1) -> (K, T) taking data[k, k : T+k].
at::Tensor revert_delay_pattern(const at::Tensor& data);

}  // namespace higgs
