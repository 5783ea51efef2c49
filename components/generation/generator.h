// Autoregressive zero-shot voice-cloning generation with a higgs_audio model: the prompt of
// prompt.h, a KV-cached decode in text mode until <|audio_out_bos|>, then audio mode with the
// delay-pattern state machine, revert of the delay pattern and decoding to a waveform. See
// docs/generation.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/chatml/higgs_token_ids.h"
#include "components/generation/prompt.h"
#include "components/generation/sampling.h"
#include "framework/train/types.h"

namespace higgs {
class TextTokenizer;
class AudioTokenizer;
namespace higgs_audio {
class HiggsAudioModelImpl;
}
}  // namespace higgs

namespace higgs::generation {

struct GenerateOptions {
  SamplingOptions sampling;
  uint64_t seed = 0;
  int64_t max_frames = 1500;     // audio columns per chunk (delay pattern incl.); 25 per second
  int64_t max_text_tokens = 32;  // text-mode tokens before audio starts
  bool force_audio = false;      // append <|audio_out_bos|> to the prompt
  bool use_cache = true;         // false: every step re-runs the whole sequence (benchmarks)
  int64_t chunk_words = 0;       // split long texts into chunks of at most N words; 0 = never
  int64_t chunk_history = -1;    // earlier chunks kept as context; -1 = all
  /// The reference's generate: after <|audio_eos|> go on in text mode until <|eot_id|> /
  /// <|end_of_text|> (at most max_text_tokens more text tokens), opening further audio segments
  /// when the model emits <|audio_out_bos|> (all within max_frames). Off by default: a chunk is
  /// one utterance, and what a model says after it is not part of the clip.
  bool continue_after_audio_eos = false;
};

/// How decoding of one chunk ended.
enum class StopReason {
  kAudioEos,       // the audio ended by itself (<|audio_eos|> after the EOS ramp-out)
  kMaxFrames,      // the audio reached max_frames
  kTextEnd,        // the text head ended the turn (<|eot_id|>, <|end_of_text|>) before any audio
  kMaxTextTokens,  // no <|audio_out_bos|> within max_text_tokens
};
const char* stop_reason_name(StopReason r);

struct ChunkResult {
  std::string text;
  StopReason stop = StopReason::kAudioEos;
  at::Tensor delayed;  // (K, N) generated columns, BOS frame first (segments one after another)
  at::Tensor codes;    // (K, T) after revert, clip and trim: what the tokenizer decodes
  std::vector<int64_t> segment_columns;  // columns of each audio segment in `delayed`
  /// With continue_after_audio_eos: the ids the reference's generate emits after the first
  /// segment, in its order: <|audio_eos|>, text tokens, and for a further segment
  /// <|audio_out_bos|>, <|AUDIO_OUT|> ... <|audio_eos|>.
  std::vector<int64_t> continuation;
  std::vector<int64_t> text_tokens;  // sampled in text mode (ends with <|audio_out_bos|>)
  int64_t prompt_tokens = 0;         // expanded prompt length (text + audio positions)
  double seconds = 0;                // wall time of the decode
};

struct JobResult {
  std::vector<ChunkResult> chunks;
  at::Tensor codes;     // (K, sum T) all chunks
  at::Tensor waveform;  // mono float at the tokenizer's rate (undefined without a tokenizer)
  int64_t sample_rate = 0;
  double decode_seconds = 0;  // LLM decoding, all chunks
  double vocoder_seconds = 0;
  bool stopped_by_itself() const;
};

class VoiceCloneGenerator {
 public:
  /// `audio_tokenizer` may be null (no waveform; codes only).
  VoiceCloneGenerator(higgs_audio::HiggsAudioModelImpl& model, const TextTokenizer& text_tokenizer,
                      AudioTokenizer* audio_tokenizer, GenerateOptions options);

  /// Encodes a reference audio file (any format libsndfile reads, resampled to the tokenizer's
  /// rate, mono) to codes (K, T).
  at::Tensor encode_reference(const std::string& audio_path);

  /// The model input of a chunk's prompt (HiggsAudioBatchInput fields, one row, no labels
  /// used): the ChatML layout of `spec` plus the generation postfix, collated as the reference's
  /// inference does (round_to 1, audio-out codes with BOS/EOS and the delay pattern).
  Batch prompt_batch(const PromptSpec& spec) const;
  /// Decodes one chunk: `spec` gives references, history and text.
  ChunkResult generate_chunk(const PromptSpec& spec);
  /// A whole job: the text is split into chunks (options.chunk_words), each generated after the
  /// earlier ones as context; the codes are decoded to a waveform when a tokenizer is present.
  JobResult generate(const PromptSpec& spec);

  const GenerateOptions& options() const { return o_; }
  GenerateOptions& options() { return o_; }
  const HiggsTokenIds& token_ids() const { return ids_; }

 private:
  struct EmbeddedPrompt;
  /// The chunk's prompt collated, merged and embedded, with the frames it leaves room for.
  EmbeddedPrompt embed_prompt(const PromptSpec& spec);
  /// The chunk's codes from its delayed frames, each audio segment reverted on its own.
  void finish_codes(ChunkResult& r, const std::vector<at::Tensor>& frames) const;

  higgs_audio::HiggsAudioModelImpl& model_;
  const TextTokenizer& tok_;
  AudioTokenizer* audio_;
  GenerateOptions o_;
  HiggsTokenIds ids_;
  std::vector<int64_t> stop_tokens_;
  Sampler sampler_;
};

/// Inverse of the delay pattern for decoding, as the reference does: revert, clip every code to
/// [0, codebook_size), drop the first (BOS) and last (EOS) columns. `delayed` (K, N).
at::Tensor codes_from_delayed(const at::Tensor& delayed, int64_t codebook_size,
                              bool use_delay_pattern);

}  // namespace higgs::generation
