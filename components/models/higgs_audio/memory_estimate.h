// A rough upper estimate of what one training micro-batch of a Higgs Audio model holds in memory,
// from the config alone (nothing allocated). data-check prints it for the longest sample, so a
// dataset whose longest batch cannot fit is found before a training run dies allocating it.
#pragma once

#include <cstdint>

namespace higgs {

struct HiggsAudioConfig;

struct TrainingMemoryInputs {
  int64_t rows = 1;              // samples in the micro-batch
  int64_t positions = 0;         // positions per row (the longest sample)
  int64_t audio_out_frames = 0;  // audio-out frames per row (rows of the audio head)
  bool bf16 = false;             // bf16 autocast: activations saved in 2 bytes, not 4
  bool gradient_checkpointing = false;
  bool attention_scores = true;  // attention materialises the (heads, L, L) scores (CPU's path)
};

struct TrainingMemoryEstimate {
  double weights = 0;      // every parameter in fp32 (master weights)
  double activations = 0;  // what the decoder layers save for the backward pass
  double attention = 0;    // attention scores kept for the softmax backward
  double logits = 0;       // text and audio logits in fp32 and their gradients
  double total() const { return weights + activations + attention + logits; }
};

/// Bytes, by part. Not counted: gradients and AdamW state of the trainable parameters (at most
/// 3 x weights with full fine-tuning, a few percent with LoRA) and allocator slack.
TrainingMemoryEstimate estimate_training_memory(const HiggsAudioConfig& cfg,
                                                const TrainingMemoryInputs& in);

}  // namespace higgs
