// The token ids the Higgs Audio data path needs, read from the MODEL's config.json so that
// recipes never repeat them (a tiny demo model has other ids than the released checkpoint).
#pragma once

#include <cstdint>
#include <string>

#include "framework/config/config.h"

namespace higgs {

class TextTokenizer;

/// Ids and flags of a Higgs Audio model config (HiggsAudioConfig). Keys missing from the file
/// take the HiggsAudioConfig constructor defaults, as transformers does.
struct HiggsTokenIds {
  int64_t audio_in_token_idx = 128015;   // <|AUDIO|>
  int64_t audio_out_token_idx = 128016;  // <|AUDIO_OUT|>
  int64_t pad_token_id = 128001;
  int64_t audio_out_bos_token_id = 128013;  // <|audio_out_bos|>
  int64_t audio_eos_token_id = 128012;      // <|audio_eos|>
  int64_t audio_stream_bos_id = 1024;
  int64_t audio_stream_eos_id = 1025;
  int64_t audio_num_codebooks = 12;
  int64_t audio_codebook_size = 1024;
  bool use_delay_pattern = false;
  bool encode_audio_in_tokens = false;
  bool encode_whisper_embed = true;
  std::string audio_in_token = "<|AUDIO|>", audio_out_token = "<|AUDIO_OUT|>",
              audio_bos_token = "<|audio_bos|>", audio_eos_token = "<|audio_eos|>",
              audio_out_bos_token = "<|audio_out_bos|>";

  /// Reads the fields of a parsed config.json; `source` names it in errors.
  static HiggsTokenIds from_json(const Json& config, const std::string& source);
  static HiggsTokenIds from_file(const std::string& config_json_path);
};

/// Fails with a message naming both ids when the text tokenizer and the model config disagree on
/// a special token (e.g. a tokenizer of another model).
void check_token_ids(const TextTokenizer& tokenizer, const HiggsTokenIds& ids);

}  // namespace higgs
