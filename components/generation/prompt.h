// The generation prompt of Higgs Audio zero-shot voice cloning, built exactly as the reference's
// examples/generation.py does (spec 6.1), as a ChatML sample plus the codes of its audios.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "components/chatml/chatml.h"

namespace higgs::generation {

/// The system text generation.py writes for a scene ("" = no scene).
std::string scene_system_text(const std::string& scene);

/// A reference voice: its transcript and its codes (K, T) from the audio tokenizer.
struct VoiceReference {
  std::string text;
  at::Tensor codes;
};

struct PromptSpec {
  std::vector<VoiceReference> references;
  std::string scene;                         // "" = no scene description
  std::optional<std::string> system_prompt;  // replaces the system text built from `scene`
  /// false: each reference is a user turn (its transcript) and an assistant turn (its audio, as
  /// audio-OUT codes). true: the references are audio-IN items of the system message
  /// ("SPEAKERk: <AUDIO>" in the scene description) and their transcripts are not used.
  bool reference_in_system = false;
  /// Earlier chunks of the same job: (text, generated codes), kept as context.
  std::vector<std::pair<std::string, at::Tensor>> history;
  std::string text;  // what to say now
};

/// Messages without the final generation postfix, and the codes of every audio item in order.
struct Prompt {
  ChatMLSample sample;
  std::vector<at::Tensor> codes;
};

/// Builds the messages: [system], reference turns, history turns, user target text.
Prompt build_prompt(const PromptSpec& spec);

/// The text appended after the messages: the assistant header (the model itself must emit
/// <|audio_out_bos|>), plus "<|audio_out_bos|>" when `force_audio` (serve_engine's
/// force_audio_gen).
std::string generation_postfix(bool force_audio);

/// Splits a long text into chunks of at most `max_words` words, cutting after a sentence end
/// (. ! ? and their full-width forms) when the chunk has one; 0 = one chunk.
std::vector<std::string> split_text_chunks(const std::string& text, int64_t max_words);

}  // namespace higgs::generation
