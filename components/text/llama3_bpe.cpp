#include "components/text/llama3_bpe.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "components/text/added_tokens.h"
#include "components/text/byte_level_bpe.h"
#include "components/text/nfc.h"
#include "components/text/regex_split.h"
#include "components/text/tiktoken_bpe.h"
#include "components/text/utf8.h"
#include "framework/registry/registry.h"
#include "framework/util/fs.h"

namespace higgs {

namespace fs = std::filesystem;
using nlohmann::json;

// The pre-tokenizer regex of GPT-2, used by ByteLevel when its use_regex is true.
static const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Meta's Llama-3 pre-tokenizer (tiktoken's pat_str in Meta's tokenizer.py; the Split regex of the
// Llama-3 tokenizer.json), for tokenizer.model files, which do not carry it.
static const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|)"
    R"( ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::string resolve_llama3_tokenizer_file(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) {
    for (const char* name : {"tokenizer.json", "tokenizer.model", "original/tokenizer.model"})
      if (fs::is_regular_file(p / name)) return (p / name).string();
    throw std::runtime_error("llama3_bpe: tokenizer file not found: " + p.string() +
                             " holds no tokenizer.json, tokenizer.model or "
                             "original/tokenizer.model");
  }
  if (!fs::is_regular_file(p))
    throw std::runtime_error("llama3_bpe: tokenizer file not found: " + p.string() +
                             " (give a tokenizer.json, a tiktoken tokenizer.model, or a directory "
                             "that contains one)");
  return p.string();
}

const std::vector<std::string>& llama3_special_tokens() {
  static const std::vector<std::string> tokens = [] {
    std::vector<std::string> t = {"<|begin_of_text|>",
                                  "<|end_of_text|>",
                                  "<|reserved_special_token_0|>",
                                  "<|reserved_special_token_1|>",
                                  "<|reserved_special_token_2|>",
                                  "<|reserved_special_token_3|>",
                                  "<|start_header_id|>",
                                  "<|end_header_id|>",
                                  "<|reserved_special_token_4|>",
                                  "<|eot_id|>"};
    for (int i = 5; i <= 250; ++i)
      t.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
    return t;
  }();
  return tokens;
}

namespace {

[[noreturn]] void unsupported(const std::string& file, const std::string& field,
                              const std::string& what) {
  throw std::runtime_error(file + ": " + field + ": " + what +
                           " is not supported by llama3_bpe / byte_level_bpe (they read "
                           "byte-level BPE tokenizers such as Llama-3's and Qwen's)");
}

bool is_null_or(const json& j, const char* key, const json& ok) {
  return !j.contains(key) || j[key].is_null() || j[key] == ok;
}

// What a tokenizer file defines: the BPE model, the pre-tokenizer regexes, the added tokens.
struct Loaded {
  bool nfc = false;  // the NFC normalizer of Qwen2/Qwen3 files
  std::unique_ptr<ByteLevelBpe> bpe;
  std::vector<std::unique_ptr<RegexSplitter>> splitters;
  std::vector<AddedToken> added;
};

Loaded load_tokenizer_json(const std::string& content, const std::string& f) {
  Loaded out;
  json root;
  try {
    root = json::parse(content);
  } catch (const json::exception& e) {
    throw std::runtime_error(f + ": not valid JSON: " + e.what());
  }

  if (root.contains("normalizer") && !root["normalizer"].is_null()) {
    if (root["normalizer"].value("type", "") != "NFC")
      unsupported(f, "normalizer", "type \"" + root["normalizer"].value("type", "?") + "\"");
    out.nfc = true;
  }

  // Pre-tokenizer: Split(s) then ByteLevel, or ByteLevel alone.
  json pre = root.value("pre_tokenizer", json());
  std::vector<json> steps;
  if (pre.is_object() && pre.value("type", "") == "Sequence")
    steps = pre.at("pretokenizers").get<std::vector<json>>();
  else if (pre.is_object())
    steps.push_back(pre);
  bool byte_level = false;
  for (size_t k = 0; k < steps.size(); ++k) {
    const json& s = steps[k];
    std::string field = "pre_tokenizer" + (steps.size() > 1 || pre.value("type", "") == "Sequence"
                                               ? ".pretokenizers[" + std::to_string(k) + "]"
                                               : std::string());
    std::string type = s.value("type", "");
    if (byte_level) unsupported(f, field, "a pre-tokenizer after ByteLevel (\"" + type + "\")");
    if (type == "Split") {
      if (s.value("behavior", "") != "Isolated")
        unsupported(f, field + ".behavior", "\"" + s.value("behavior", "") + "\"");
      if (s.value("invert", false)) unsupported(f, field + ".invert", "true");
      const json& pat = s.at("pattern");
      bool literal = pat.contains("String");
      std::string text =
          literal ? pat.at("String").get<std::string>() : pat.at("Regex").get<std::string>();
      out.splitters.push_back(std::make_unique<RegexSplitter>(text, literal, f + ": " + field));
    } else if (type == "ByteLevel") {
      if (s.value("add_prefix_space", false)) unsupported(f, field + ".add_prefix_space", "true");
      if (s.value("use_regex", true))
        out.splitters.push_back(
            std::make_unique<RegexSplitter>(kGpt2Pattern, false, f + ": " + field));
      byte_level = true;
    } else {
      unsupported(f, field, "type \"" + type + "\"");
    }
  }
  if (!byte_level) unsupported(f, "pre_tokenizer", "a pre-tokenizer without ByteLevel");

  const json& model = root.at("model");
  if (model.value("type", "BPE") != "BPE")
    unsupported(f, "model.type", "\"" + model.value("type", "") + "\"");
  if (!is_null_or(model, "dropout", 0.0) && !is_null_or(model, "dropout", 0))
    unsupported(f, "model.dropout", "a non-zero dropout");
  if (!is_null_or(model, "continuing_subword_prefix", ""))
    unsupported(f, "model.continuing_subword_prefix", "a prefix");
  if (!is_null_or(model, "end_of_word_suffix", ""))
    unsupported(f, "model.end_of_word_suffix", "a suffix");
  if (model.value("byte_fallback", false)) unsupported(f, "model.byte_fallback", "true");

  if (root.contains("decoder") && !root["decoder"].is_null() &&
      root["decoder"].value("type", "") != "ByteLevel")
    unsupported(f, "decoder", "type \"" + root["decoder"].value("type", "") + "\"");

  ByteLevelBpe::Params params;
  params.source = f;
  params.ignore_merges = model.value("ignore_merges", false);
  for (const auto& [tok, id] : model.at("vocab").items())
    params.vocab.emplace_back(tok, id.get<int64_t>());
  const json& merges = model.at("merges");
  params.merges.reserve(merges.size());
  for (size_t r = 0; r < merges.size(); ++r) {
    const json& m = merges[r];
    if (m.is_array() && m.size() == 2) {
      params.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      continue;
    }
    std::string s = m.is_string() ? m.get<std::string>() : std::string();
    size_t sp = s.find(' ');
    if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
      throw std::runtime_error(f + ": model.merges[" + std::to_string(r) +
                               "] is neither \"a b\" nor [\"a\", \"b\"]: " + m.dump());
    params.merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
  }

  if (root.contains("added_tokens")) {
    for (size_t k = 0; k < root["added_tokens"].size(); ++k) {
      const json& t = root["added_tokens"][k];
      if (t.value("single_word", false))
        unsupported(f, "added_tokens[" + std::to_string(k) + "].single_word", "true");
      AddedToken a;
      a.id = t.at("id").get<int64_t>();
      a.content = t.at("content").get<std::string>();
      a.lstrip = t.value("lstrip", false);
      a.rstrip = t.value("rstrip", false);
      a.special = t.value("special", false);
      // Added tokens are matched in the raw text, before NFC, which is what a tokenizer.json
      // with `normalized: false` (Qwen's) asks; with `normalized: true` it differs only for a
      // token whose own text NFC would change.
      out.added.push_back(std::move(a));
    }
  }
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    if (model.value("fuse_unk", false)) unsupported(f, "model.fuse_unk", "true");
    std::string unk = model["unk_token"].get<std::string>();
    auto it = model["vocab"].find(unk);
    if (it == model["vocab"].end())
      throw std::runtime_error(f + ": model.unk_token \"" + unk + "\" is not in model.vocab");
    params.unk_id = it->get<int64_t>();
  }
  out.bpe = std::make_unique<ByteLevelBpe>(params);
  return out;
}

// A tiktoken file holds only the ranks; the regex and the special tokens are Llama-3's, the
// special ids following the last rank as in Meta's tokenizer.py.
Loaded load_tiktoken(const std::string& content, const std::string& f) {
  Loaded out;
  const std::vector<std::string> tokens = read_tiktoken_ranks(content, f);
  out.bpe = std::make_unique<ByteLevelBpe>(tiktoken_bpe_params(tokens, f));
  out.splitters.push_back(
      std::make_unique<RegexSplitter>(kLlama3Pattern, false, f + ": the Llama-3 regex"));
  const auto& specials = llama3_special_tokens();
  for (size_t i = 0; i < specials.size(); ++i) {
    AddedToken a;
    a.id = static_cast<int64_t>(tokens.size() + i);
    a.content = specials[i];
    a.special = true;
    out.added.push_back(std::move(a));
  }
  return out;
}

}  // namespace

void Llama3BpeTokenizer::bind(Binder& b, Options& o) {
  b.req("path", o.path, "tokenizer.json of the checkpoint, or the directory that holds it.");
}

Llama3BpeTokenizer::Llama3BpeTokenizer(const Options& o) : Llama3BpeTokenizer(o.path) {}

Llama3BpeTokenizer::~Llama3BpeTokenizer() = default;

Llama3BpeTokenizer::Llama3BpeTokenizer(const std::string& path) {
  file_ = resolve_llama3_tokenizer_file(path);
  std::ifstream in(file_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string content = ss.str();
  if (!in) throw std::runtime_error(file_ + ": cannot read the file");
  identity_ = fnv1a_hex(content);
  // A tokenizer.json is a JSON object; anything else is read as a tiktoken file.
  size_t first = content.find_first_not_of(" \t\r\n");
  Loaded loaded = first != std::string::npos && content[first] == '{'
                      ? load_tokenizer_json(content, file_)
                      : load_tiktoken(content, file_);
  bpe_ = std::move(loaded.bpe);
  nfc_ = loaded.nfc;
  splitters_ = std::move(loaded.splitters);
  for (const AddedToken& a : loaded.added) {
    added_ids_.emplace(a.content, a.id);
    added_content_.emplace(a.id, a.content);
  }
  added_ = std::make_unique<AddedTokenSplitter>(loaded.added);
  vocab_size_ = bpe_->max_id() + 1;
  for (const auto& a : loaded.added) vocab_size_ = std::max(vocab_size_, a.id + 1);
}

std::vector<int64_t> Llama3BpeTokenizer::encode(const std::string& text) const {
  size_t bad = utf8::first_invalid(text);
  if (bad != std::string::npos)
    throw std::invalid_argument("llama3_bpe: text is not valid UTF-8 (byte " + std::to_string(bad) +
                                " of " + std::to_string(text.size()) + ")");
  std::vector<int64_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<std::pair<size_t, size_t>> pieces, next;
  for (const TextSegment& seg : added_->split(text)) {
    if (seg.token_id >= 0) {
      ids.push_back(seg.token_id);
      continue;
    }
    // The text between added tokens, NFC-composed first when the file says so.
    std::string composed;
    std::string_view segment = std::string_view(text).substr(seg.begin, seg.end - seg.begin);
    if (nfc_) {
      composed = to_nfc(segment);
      segment = composed;
    }
    pieces.assign(1, {0, segment.size()});
    for (const auto& splitter : splitters_) {
      next.clear();
      for (const auto& [b, e] : pieces) {
        size_t first = next.size();
        splitter->split(segment.substr(b, e - b), next);
        for (size_t k = first; k < next.size(); ++k) next[k].first += b, next[k].second += b;
      }
      pieces.swap(next);
    }
    for (const auto& [b, e] : pieces) bpe_->encode_word(segment.substr(b, e - b), ids);
  }
  return ids;
}

std::string Llama3BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string out;
  for (int64_t id : ids) {
    auto it = added_content_.find(id);
    if (it != added_content_.end()) {
      out += it->second;
      continue;
    }
    const std::string* bytes = bpe_->id_to_bytes(id);
    if (!bytes)
      throw std::out_of_range("llama3_bpe: id " + std::to_string(id) +
                              " is not in the vocabulary of " + file_);
    out += *bytes;
  }
  return out;
}

std::optional<int64_t> Llama3BpeTokenizer::token_to_id(const std::string& token) const {
  auto it = added_ids_.find(token);
  if (it != added_ids_.end()) return it->second;
  return bpe_->token_to_id(token);
}

std::string Llama3BpeTokenizer::id_to_token(int64_t id) const {
  auto it = added_content_.find(id);
  if (it != added_content_.end()) return it->second;
  const std::string* tok = bpe_->id_to_token(id);
  if (!tok)
    throw std::out_of_range("llama3_bpe: id " + std::to_string(id) +
                            " is not in the vocabulary of " + file_);
  return *tok;
}

HIGGS_REGISTER(higgs::TextTokenizer, higgs::Llama3BpeTokenizer, "llama3_bpe",
               "Byte-level BPE from a Hugging Face tokenizer.json (the Llama-3 tokenizer of Higgs "
               "Audio v2).");
// The same reader for any byte-level BPE tokenizer.json: Qwen2/Qwen3's (NFC, the Qwen2 split
// regex, 84 added tokens of Higgs Audio v3) as well as Llama-3's.
HIGGS_REGISTER(higgs::TextTokenizer, higgs::Llama3BpeTokenizer, "byte_level_bpe",
               "Byte-level BPE from any Hugging Face tokenizer.json: Qwen2/Qwen3 (NFC normalizer; "
               "Higgs Audio v3) or Llama-3.");

}  // namespace higgs
