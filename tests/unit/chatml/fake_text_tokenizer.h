// A deterministic stand-in for the Llama-3 tokenizer in data tests: every byte of ordinary text is
// one token (id = byte value), and the Higgs special tokens map to their real ids
// (tokenizer_config.json of bosonai/higgs-audio-v2-generation-3B-base). It records every string
// given to encode() so tests can check that pieces are encoded separately.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "components/text/text_tokenizer.h"

namespace higgs::test {

class FakeTextTokenizer : public TextTokenizer {
 public:
  FakeTextTokenizer() {
    const char* names[] = {"<|begin_of_text|>",
                           "<|end_of_text|>",
                           "<|reserved_special_token_0|>",
                           "<|reserved_special_token_1|>",
                           "<|finetune_right_pad_id|>",
                           "<|reserved_special_token_2|>",
                           "<|start_header_id|>",
                           "<|end_header_id|>",
                           "<|eom_id|>",
                           "<|eot_id|>",
                           "<|python_tag|>",
                           "<|audio_bos|>",
                           "<|audio_eos|>",
                           "<|audio_out_bos|>",
                           "<|reserved_special_token_6|>",
                           "<|AUDIO|>",
                           "<|AUDIO_OUT|>",
                           "<|recipient|>",
                           "<|scene_desc_start|>",
                           "<|scene_desc_end|>",
                           "<|generation_instruction_start|>",
                           "<|generation_instruction_end|>",
                           "<SE>",
                           "</SE>",
                           "<SE_s>",
                           "</SE_s>",
                           "<SE_e>",
                           "</SE_e>"};
    int64_t id = 128000;
    for (const char* n : names) {
      special_[n] = id;
      by_id_[id] = n;
      ++id;
    }
  }

  std::vector<int64_t> encode(const std::string& text) const override {
    {
      std::lock_guard<std::mutex> lock(calls_mu_);  // datasets measure on several threads
      calls.push_back(text);
    }
    std::vector<int64_t> out;
    for (size_t i = 0; i < text.size();) {
      bool matched = false;
      for (const auto& [tok, id] : special_) {
        if (text.compare(i, tok.size(), tok) == 0) {
          out.push_back(id);
          i += tok.size();
          matched = true;
          break;
        }
      }
      if (!matched) out.push_back(static_cast<unsigned char>(text[i++]));
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
    if (token.size() == 1) return static_cast<unsigned char>(token[0]);
    return std::nullopt;
  }
  std::string id_to_token(int64_t id) const override {
    auto it = by_id_.find(id);
    if (it != by_id_.end()) return it->second;
    if (id >= 0 && id < 256) return std::string(1, static_cast<char>(id));
    return "<?" + std::to_string(id) + ">";
  }
  int64_t vocab_size() const override { return 128256; }
  std::string identity() const override { return "fake-bytes"; }

  mutable std::vector<std::string> calls;

 private:
  mutable std::mutex calls_mu_;
  std::map<std::string, int64_t> special_;
  std::map<int64_t, std::string> by_id_;
};

}  // namespace higgs::test
