// A byte-level text tokenizer whose special tokens use the ids of the tiny higgs_audio config of
// tests/unit/models/higgs_audio_fixture.h (vocab 300, <|AUDIO|> 290 ... <|audio_eos|> 293), so
// prompts can be laid out, trained and generated with a tiny model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "components/text/text_tokenizer.h"

namespace higgs::generation_test {

class TinyTextTokenizer : public TextTokenizer {
 public:
  TinyTextTokenizer() {
    const std::vector<std::pair<const char*, int64_t>> specials = {
        {"<|begin_of_text|>", 280},    {"<|start_header_id|>", 281}, {"<|end_header_id|>", 282},
        {"<|eot_id|>", 283},           {"<|eom_id|>", 284},          {"<|audio_bos|>", 285},
        {"<|scene_desc_start|>", 286}, {"<|scene_desc_end|>", 287},  {"<|end_of_text|>", 288},
        {"<|recipient|>", 289},        {"<|AUDIO|>", 290},           {"<|AUDIO_OUT|>", 291},
        {"<|audio_out_bos|>", 292},    {"<|audio_eos|>", 293}};
    for (const auto& [t, id] : specials) {
      special_[t] = id;
      by_id_[id] = t;
    }
  }
  std::vector<int64_t> encode(const std::string& text) const override {
    std::vector<int64_t> out;
    for (size_t i = 0; i < text.size();) {
      bool matched = false;
      for (const auto& [tok, id] : special_)
        if (text.compare(i, tok.size(), tok) == 0) {
          out.push_back(id);
          i += tok.size();
          matched = true;
          break;
        }
      if (!matched) out.push_back(static_cast<unsigned char>(text[i++]) & 0x7f);
    }
    return out;
  }
  std::string decode(const std::vector<int64_t>& ids) const override {
    std::string s;
    for (int64_t id : ids) s += id_to_token(id);
    return s;
  }
  std::optional<int64_t> token_to_id(const std::string& token) const override {
    auto it = special_.find(token);
    if (it != special_.end()) return it->second;
    if (token.size() == 1) return static_cast<unsigned char>(token[0]) & 0x7f;
    return std::nullopt;
  }
  std::string id_to_token(int64_t id) const override {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) return it->second;
    return std::string(1, static_cast<char>(id));
  }
  int64_t vocab_size() const override { return 300; }
  std::string identity() const override { return "tiny-bytes"; }

 private:
  std::map<std::string, int64_t> special_;
  std::map<int64_t, std::string> by_id_;
};

}  // namespace higgs::generation_test
