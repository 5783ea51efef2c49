#include "components/text/tiktoken_bpe.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace higgs {

namespace {

// Standard base64 (RFC 4648, with padding), as tiktoken and Meta's loader decode it.
bool decode_base64(std::string_view in, std::string& out) {
  static const std::array<int8_t, 256> value = [] {
    std::array<int8_t, 256> v;
    v.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
      v[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return v;
  }();
  out.clear();
  if (in.empty() || in.size() % 4 != 0) return false;
  size_t pad = in.back() == '=' ? (in[in.size() - 2] == '=' ? 2 : 1) : 0;
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    uint32_t group = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = value[static_cast<unsigned char>(in[i + k])];
      if (d < 0 && !(last && in[i + k] == '=' && k >= 4 - pad)) return false;
      group = group << 6 | static_cast<uint32_t>(std::max(d, 0));
    }
    size_t n = last ? 3 - pad : 3;
    for (size_t k = 0; k < n; ++k) out.push_back(static_cast<char>(group >> (16 - 8 * k)));
  }
  return true;
}

std::string hex_byte(unsigned char c) {
  static const char* hex = "0123456789abcdef";
  return {hex[c >> 4], hex[c & 15]};
}

// At most 60 bytes of `s`, with bytes outside printable ASCII as \xNN.
std::string shown(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 60))
    out += c >= 0x20 && c < 0x7f ? std::string(1, static_cast<char>(c)) : "\\x" + hex_byte(c);
  return s.size() > 60 ? out + "..." : out;
}

// Splits a line at runs of spaces and tabs.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

bool parse_rank(std::string_view s, int64_t& rank) {
  if (s.empty() || s.size() > 10) return false;
  rank = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    rank = rank * 10 + (c - '0');
  }
  return rank <= INT32_MAX;
}

bool looks_binary(std::string_view line) {
  return std::any_of(line.begin(), line.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 ? u != '\t' : u >= 0x7f;
  });
}

}  // namespace

std::vector<std::string> read_tiktoken_ranks(const std::string& content, const std::string& file) {
  std::vector<std::string> tokens;
  std::vector<size_t> line_of;  // by rank
  std::unordered_map<std::string, int32_t> rank_of;
  std::string token;
  size_t begin = 0, line_no = 0;
  while (begin < content.size()) {
    size_t end = content.find('\n', begin);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + begin, end - begin);
    begin = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> parts = fields(line);
    if (parts.empty()) continue;
    const std::string where = file + ":" + std::to_string(line_no) + ": ";
    int64_t rank = 0;
    if (parts.size() != 2 || !parse_rank(parts[1], rank)) {
      std::string hint = looks_binary(line)
                             ? " The file looks binary: a sentencepiece .model is read by "
                               "text_tokenizer type sentencepiece."
                             : "";
      throw std::runtime_error(where + "expected a tiktoken line \"BASE64_TOKEN RANK\", got \"" +
                               shown(line) + "\"." + hint);
    }
    if (!decode_base64(parts[0], token))
      throw std::runtime_error(where + "the token is not valid base64: \"" + shown(parts[0]) +
                               "\"");
    if (token.empty()) throw std::runtime_error(where + "the token is empty");
    if (rank != static_cast<int64_t>(tokens.size()))
      throw std::runtime_error(where + "rank " + std::to_string(rank) + " where " +
                               std::to_string(tokens.size()) +
                               " was expected: ranks must run 0, 1, 2, ... in line order");
    auto [it, fresh] = rank_of.emplace(token, static_cast<int32_t>(rank));
    if (!fresh)
      throw std::runtime_error(where + "token \"" + shown(token) + "\" already has rank " +
                               std::to_string(it->second) + " (line " +
                               std::to_string(line_of[it->second]) + ")");
    tokens.push_back(token);
    line_of.push_back(line_no);
  }
  if (tokens.empty()) throw std::runtime_error(file + ": no tokens (an empty tiktoken file)");
  for (int b = 0; b < 256; ++b)
    if (!rank_of.count(std::string(1, static_cast<char>(b))))
      throw std::runtime_error(file + ": no token for the byte 0x" +
                               hex_byte(static_cast<unsigned char>(b)) +
                               ": a byte-level BPE needs all 256 single bytes");
  return tokens;
}

std::vector<std::pair<int32_t, int32_t>> tiktoken_merges(const std::vector<std::string>& tokens) {
  std::unordered_map<std::string_view, int32_t> rank_of;
  rank_of.reserve(tokens.size());
  for (size_t r = 0; r < tokens.size(); ++r) rank_of.emplace(tokens[r], static_cast<int32_t>(r));
  std::vector<std::pair<int32_t, int32_t>> merges, local;
  merges.reserve(tokens.size() * 3);
  // Tokens come in rank order, so the merges do too.
  for (const std::string& t : tokens) {
    std::string_view v(t);
    local.clear();
    for (size_t i = 1; i < v.size(); ++i) {
      auto left = rank_of.find(v.substr(0, i));
      if (left == rank_of.end()) continue;
      auto right = rank_of.find(v.substr(i));
      if (right != rank_of.end()) local.emplace_back(left->second, right->second);
    }
    std::sort(local.begin(), local.end());
    merges.insert(merges.end(), local.begin(), local.end());
  }
  return merges;
}

ByteLevelBpe::Params tiktoken_bpe_params(const std::vector<std::string>& tokens,
                                         const std::string& file) {
  ByteLevelBpe::Params p;
  p.source = file;
  p.ignore_merges = true;
  p.vocab.reserve(tokens.size());
  for (size_t r = 0; r < tokens.size(); ++r)
    p.vocab.emplace_back(bytes_to_byte_level(tokens[r]), static_cast<int64_t>(r));
  const auto merges = tiktoken_merges(tokens);
  p.merges.reserve(merges.size());
  for (const auto& [a, b] : merges) p.merges.emplace_back(p.vocab[a].first, p.vocab[b].first);
  return p;
}

bool is_tiktoken_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string_view> parts = fields(line);
  int64_t rank = 0;
  std::string token;
  return parts.size() == 2 && parse_rank(parts[1], rank) && decode_base64(parts[0], token);
}

}  // namespace higgs
