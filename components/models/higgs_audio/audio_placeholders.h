// Expanding placeholders into audio runs (the reference's merge_input_ids_with_audio_features,
// spec 2.1 step 5). The plan is integer bookkeeping on the CPU; applying it gathers embeddings.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace higgs::higgs_audio {

struct MergeInputs {
  at::Tensor input_ids;       // (B, L) int64
  at::Tensor attention_mask;  // (B, L)
  at::Tensor label_ids;       // (B, L) or undefined
  // Run starts into the concatenated code streams, and the streams' total lengths. An absent
  // stream (undefined starts or zero columns) leaves its placeholders as one empty position.
  at::Tensor audio_in_starts, audio_out_starts;
  int64_t audio_in_columns = 0, audio_out_columns = 0;
  int64_t audio_in_token = 0, audio_out_token = 0, pad_token = 0;
  // Whisper features (audio tower): output frames kept per window (N,), one window per <|AUDIO|>
  // in order, and the tower's output frames per window. Undefined or empty = no features. Each
  // <|AUDIO|> expands to its feature frames followed by its audio-in code columns.
  at::Tensor audio_feature_lengths;
  int64_t audio_feature_frames = 0;
  int64_t round_to = 8;
  bool left_padding = false;
  int64_t ignore_index = -100;
};

/// Where everything goes in the expanded (B, L') sequence. Index tensors are flat (b * L' + j).
struct MergePlan {
  int64_t batch = 0, length = 0;
  at::Tensor text_src, text_dst;  // text (incl. pad) tokens: flat source index in (B*L) -> dest
  at::Tensor audio_in_dst;        // one per audio-in code column, in column order
  at::Tensor audio_out_dst;       // one per audio-out code column, in column order
  at::Tensor audio_feature_src;   // kept tower frames: flat index into (N * frames) rows
  at::Tensor audio_feature_dst;   // ... and where each goes
  at::Tensor attention_mask;      // (B, L') int64
  at::Tensor labels;              // (B, L') int64, ignore_index at audio; undefined w/o labels
  at::Tensor input_ids;           // (B, L'), audio positions hold the placeholder id
  at::Tensor position_ids;        // cumsum(mask) - 1, masked positions 1
  at::Tensor audio_in_mask, audio_in_discrete_codes_mask, audio_out_mask;  // (B, L') bool
};

/// Computes the plan; throws with a clear message when placeholders and runs disagree.
MergePlan plan_merge(const MergeInputs& in);

/// Builds the (B, L', D) embeddings from text embeddings (B, L, D) and the audio-in/out code
/// embeddings (columns, D) (undefined when absent), and the projected audio tower output
/// (N, frames, D) when the plan has Whisper features. Differentiable in all of them.
at::Tensor apply_merge(const MergePlan& plan, const at::Tensor& text_embeds,
                       const at::Tensor& audio_in_embeds, const at::Tensor& audio_out_embeds,
                       const at::Tensor& audio_feature_embeds = at::Tensor());

}  // namespace higgs::higgs_audio
