#include "components/chatml/higgs_token_ids.h"

#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "components/text/text_tokenizer.h"

namespace higgs {
namespace {

template <class T>
void read(const Json& j, const char* key, T& out, const std::string& source) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  try {
    out = it->get<T>();
  } catch (const Json::exception&) {
    throw std::runtime_error(source + ": \"" + key + "\" has the wrong type (" + it->dump() + ")");
  }
}

}  // namespace

HiggsTokenIds HiggsTokenIds::from_json(const Json& c, const std::string& source) {
  if (!c.is_object()) throw std::runtime_error(source + ": a model config must be a JSON object");
  HiggsTokenIds ids;
  read(c, "audio_in_token_idx", ids.audio_in_token_idx, source);
  read(c, "audio_out_token_idx", ids.audio_out_token_idx, source);
  read(c, "pad_token_id", ids.pad_token_id, source);
  read(c, "audio_out_bos_token_id", ids.audio_out_bos_token_id, source);
  read(c, "audio_eos_token_id", ids.audio_eos_token_id, source);
  read(c, "audio_stream_bos_id", ids.audio_stream_bos_id, source);
  read(c, "audio_stream_eos_id", ids.audio_stream_eos_id, source);
  read(c, "audio_num_codebooks", ids.audio_num_codebooks, source);
  read(c, "audio_codebook_size", ids.audio_codebook_size, source);
  read(c, "use_delay_pattern", ids.use_delay_pattern, source);
  read(c, "encode_audio_in_tokens", ids.encode_audio_in_tokens, source);
  read(c, "encode_whisper_embed", ids.encode_whisper_embed, source);
  read(c, "audio_in_token", ids.audio_in_token, source);
  read(c, "audio_out_token", ids.audio_out_token, source);
  read(c, "audio_bos_token", ids.audio_bos_token, source);
  read(c, "audio_eos_token", ids.audio_eos_token, source);
  read(c, "audio_out_bos_token", ids.audio_out_bos_token, source);
  if (ids.audio_num_codebooks <= 0)
    throw std::runtime_error(source + ": audio_num_codebooks must be positive");
  return ids;
}

HiggsTokenIds HiggsTokenIds::from_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot open the model config (config.json)");
  Json j;
  try {
    j = Json::parse(f);
  } catch (const Json::parse_error& e) {
    throw std::runtime_error(path + ": invalid JSON: " + e.what());
  }
  return from_json(j, path);
}

void check_token_ids(const TextTokenizer& tok, const HiggsTokenIds& ids) {
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {ids.audio_in_token, ids.audio_in_token_idx},
      {ids.audio_out_token, ids.audio_out_token_idx},
      {ids.audio_out_bos_token, ids.audio_out_bos_token_id},
      {ids.audio_eos_token, ids.audio_eos_token_id},
  };
  for (const auto& [token, id] : expected) {
    auto got = tok.token_to_id(token);
    if (!got)
      throw std::runtime_error("text tokenizer has no token " + token + " (the model config says " +
                               std::to_string(id) + "): use the tokenizer of this model");
    if (*got != id)
      throw std::runtime_error("text tokenizer maps " + token + " to " + std::to_string(*got) +
                               " but the model config says " + std::to_string(id) +
                               ": tokenizer and model do not belong together");
  }
}

}  // namespace higgs
