// ChatML samples as the Higgs Audio reference reads them (boson_multimodal/data_types.py), a strict
// reader for JSON-array and JSONL files, and the conversion of the compact voice-cloning layout
// of earlier trainers into the layout examples/generation.py builds at inference.
// The format is documented for users in docs/data-format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs {

/// A data file that does not follow the ChatML format; the message names file:line and field.
class ChatMLError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One piece of message content: text or audio.
struct ChatMLContent {
  enum class Type { kText, kAudio };
  Type type = Type::kText;
  std::string text;  // kText
  // kAudio:
  std::string audio_url;                 // as written in the file
  std::string audio_path;                // audio_url resolved against the data file's directory;
                                         // empty for "" and "placeholder" (use raw_audio)
  std::optional<std::string> raw_audio;  // base64 audio bytes
  std::optional<double> offset, duration;
  std::optional<int64_t> row_id;

  bool is_text() const { return type == Type::kText; }
  bool is_audio() const { return type == Type::kAudio; }
  static ChatMLContent make_text(std::string text);
  static ChatMLContent make_audio(std::string url, std::string resolved_path = "");
};

/// One turn. `content` is the list form; a plain string in the file is one text item.
struct ChatMLMessage {
  std::string role;
  std::vector<ChatMLContent> content;
  std::optional<std::string> recipient;
};

/// One sample: messages[:start_index] carry no labels.
struct ChatMLSample {
  std::vector<ChatMLMessage> messages;
  std::optional<int64_t> start_index;
  std::optional<std::string> speaker;
  // The language spoken ("en", "zh", "de"): data-check counts and evaluation reports by it
  // (eval/language/de/loss). Top-level "language", else misc["language"].
  std::optional<std::string> language;
  Json misc;           // null when absent
  std::string source;  // "data.jsonl:12" for messages
};

/// Whether the audio of turn `turn` is a trained target: an assistant turn at or after
/// start_index (what prepare_chatml_sample labels). Any other audio is context: a reference.
inline bool is_trained_audio_turn(const ChatMLSample& s, size_t turn) {
  return s.messages.at(turn).role == "assistant" &&
         static_cast<int64_t>(turn) >= s.start_index.value_or(0);
}

/// Reads one sample object. `where` prefixes errors ("data.jsonl:12"); relative audio_url values
/// are resolved against `base_dir` (absolute ones are kept).
ChatMLSample parse_chatml_sample(const Json& j, const std::string& where,
                                 const std::string& base_dir);

/// Reads a ChatML file: a JSON array of samples, one sample object, or JSONL (one sample per
/// non-empty line). The format is detected from the first non-space character and the extension.
std::vector<ChatMLSample> load_chatml_file(const std::string& path);

/// Reads ChatML text held in memory (same rules as load_chatml_file; `name` is used in errors and
/// `base_dir` for relative audio paths).
std::vector<ChatMLSample> parse_chatml_text(const std::string& text, const std::string& name,
                                            const std::string& base_dir, bool jsonl);

/// Writes a sample back as JSON (content always in list form, audio_url as written).
Json chatml_to_json(const ChatMLSample& s);

/// How a voice-cloning sample is turned into the inference layout of examples/generation.py.
struct ZeroShotLayoutOptions {
  /// System message text. Unset: built from `scene` as generation.py does ("Generate audio
  /// following instruction.\n\n<|scene_desc_start|>\n{scene}\n<|scene_desc_end|>"), or the
  /// sample's own system message when `scene` is empty too. "" = no system message.
  std::optional<std::string> system_prompt;
  std::string scene;
  /// Target text of the compact layout often reads "Please generate speech ...: TEXT"; when set,
  /// the instruction up to the first ':' is dropped (only if the text starts with this prefix).
  std::string strip_instruction_prefix = "Please generate speech";
};

/// Returns the sample in the inference layout: [system], user ref text, assistant ref audio,
/// user target text, assistant target audio; start_index = the final assistant turn.
/// Accepts the compact layout (user [ref text, ref audio, target text], assistant target audio)
/// and samples already in the inference layout (start_index kept when given).
ChatMLSample to_zero_shot_layout(const ChatMLSample& s, const ZeroShotLayoutOptions& opts = {});

/// The sound-event tag rewriting of examples/generation.py ("[laugh]" -> "<SE>[Laughter]</SE>").
std::string rewrite_sound_events(std::string text);
/// Applies rewrite_sound_events to every text item of user and assistant messages.
void rewrite_sound_events(ChatMLSample& s);

/// The transcript normalisation examples/generation.py applies to the text to speak: full-width
/// punctuation to ASCII, "(" and ")" to spaces, degrees spelled out, sound-event tags rewritten,
/// blank lines dropped, whitespace collapsed, and a "." added when no final punctuation.
std::string normalize_transcript(const std::string& text);

}  // namespace higgs
