#include "components/text/byte_level_bpe.h"

#include <functional>
#include <queue>
#include <stdexcept>

#include "components/text/utf8.h"

namespace higgs {

const std::array<uint32_t, 256>& byte_to_unicode() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      t[b] = printable ? b : 256 + extra++;
    }
    return t;
  }();
  return table;
}

std::string bytes_to_byte_level(std::string_view raw) {
  const auto& table = byte_to_unicode();
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) utf8::append(out, table[c]);
  return out;
}

std::optional<std::string> byte_level_to_bytes(std::string_view byte_level) {
  static const std::array<int, 324> inverse = [] {
    std::array<int, 324> inv;
    inv.fill(-1);
    const auto& table = byte_to_unicode();
    for (int b = 0; b < 256; ++b) inv[table[b]] = b;
    return inv;
  }();
  if (utf8::first_invalid(byte_level) != std::string_view::npos) return std::nullopt;
  std::string out;
  out.reserve(byte_level.size());
  size_t i = 0;
  while (i < byte_level.size()) {
    uint32_t cp = utf8::next(byte_level, i);
    if (cp >= inverse.size() || inverse[cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(inverse[cp]));
  }
  return out;
}

namespace {
uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
}  // namespace

ByteLevelBpe::ByteLevelBpe(const Params& p) : ignore_merges_(p.ignore_merges) {
  int64_t max_id = -1;
  for (const auto& [tok, id] : p.vocab) {
    if (id < 0 || id > INT32_MAX)
      throw std::runtime_error(p.source + ": model.vocab: id " + std::to_string(id) + " of \"" +
                               tok + "\" is out of range");
    max_id = std::max(max_id, id);
  }
  id_token_.resize(max_id + 1);
  id_bytes_.resize(max_id + 1);
  id_valid_.assign(max_id + 1, false);
  token_id_.reserve(p.vocab.size());
  raw_id_.reserve(p.vocab.size());
  for (const auto& [tok, id] : p.vocab) {
    if (id_valid_[id])
      throw std::runtime_error(p.source + ": model.vocab: id " + std::to_string(id) +
                               " is used by both \"" + id_token_[id] + "\" and \"" + tok + "\"");
    id_valid_[id] = true;
    id_token_[id] = tok;
    token_id_.emplace(tok, static_cast<int32_t>(id));
    // Tokens outside the byte map cannot come out of byte-level input; they decode as written.
    auto raw = byte_level_to_bytes(tok);
    id_bytes_[id] = raw ? *raw : tok;
    if (raw) raw_id_.emplace(*raw, static_cast<int32_t>(id));
  }
  for (int b = 0; b < 256; ++b) {
    auto it = raw_id_.find(std::string(1, static_cast<char>(b)));
    byte_id_[b] = it == raw_id_.end() ? -1 : it->second;
  }
  if (p.unk_id) unk_id_ = static_cast<int32_t>(*p.unk_id);

  merges_.reserve(p.merges.size());
  for (size_t rank = 0; rank < p.merges.size(); ++rank) {
    const auto& [a, b] = p.merges[rank];
    auto ia = token_id_.find(a), ib = token_id_.find(b), iab = token_id_.find(a + b);
    if (ia == token_id_.end() || ib == token_id_.end() || iab == token_id_.end())
      throw std::runtime_error(p.source + ": model.merges[" + std::to_string(rank) + "] (\"" + a +
                               "\", \"" + b + "\") uses a token that is not in model.vocab");
    // Like Hugging Face tokenizers, a repeated pair keeps its last rank.
    merges_[pair_key(ia->second, ib->second)] = {static_cast<int32_t>(rank), iab->second};
  }
}

void ByteLevelBpe::merge_word(std::string_view raw, std::vector<int32_t>& out) const {
  struct Sym {
    int32_t id, prev, next;
  };
  std::vector<Sym> syms;
  syms.reserve(raw.size());
  for (unsigned char c : raw) {
    int32_t id = byte_id_[c];
    if (id < 0) id = unk_id_;
    if (id < 0) continue;  // no token and no unk: dropped, as Hugging Face does
    int32_t n = static_cast<int32_t>(syms.size());
    syms.push_back({id, n - 1, n + 1});
  }
  if (syms.empty()) return;
  syms.back().next = -1;

  // Lowest rank first; equal ranks (the same pair) leftmost first.
  struct Cand {
    int32_t rank, pos, new_id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Cand> storage;
  storage.reserve(syms.size() * 2);
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap(std::greater<Cand>(),
                                                                        std::move(storage));
  auto push_pair = [&](int32_t pos) {
    int32_t nx = syms[pos].next;
    if (nx < 0) return;
    auto it = merges_.find(pair_key(syms[pos].id, syms[nx].id));
    if (it != merges_.end()) heap.push({it->second.first, pos, it->second.second});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) push_pair(i);
  while (!heap.empty()) {
    Cand top = heap.top();
    heap.pop();
    Sym& s = syms[top.pos];
    if (s.id < 0 || s.next < 0) continue;
    auto it = merges_.find(pair_key(s.id, syms[s.next].id));
    if (it == merges_.end() || it->second.second != top.new_id) continue;  // stale
    int32_t right = s.next;
    s.id = top.new_id;
    s.next = syms[right].next;
    if (s.next >= 0) syms[s.next].prev = top.pos;
    syms[right].id = -1;
    if (s.prev >= 0) push_pair(s.prev);
    push_pair(top.pos);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) out.push_back(syms[i].id);
}

void ByteLevelBpe::encode_word(std::string_view raw, std::vector<int64_t>& out) const {
  if (raw.empty()) return;
  if (raw.size() == 1 && byte_id_[static_cast<unsigned char>(raw[0])] >= 0) {
    out.push_back(byte_id_[static_cast<unsigned char>(raw[0])]);
    return;
  }
  std::string key(raw);
  if (ignore_merges_) {
    auto it = raw_id_.find(key);
    if (it != raw_id_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = raw.size() <= kMaxCachedWord;
  Shard* shard = nullptr;
  if (cacheable) {
    shard = &cache_[std::hash<std::string>()(key) % kShards];
    std::lock_guard<std::mutex> lock(shard->mu);
    auto it = shard->map.find(key);
    if (it != shard->map.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  merge_word(raw, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(shard->mu);
    // A full shard starts over: cheap, and bounded memory on adversarial input.
    if (shard->map.size() >= kShardCapacity) shard->map.clear();
    shard->map.emplace(std::move(key), std::move(ids));
  }
}

std::optional<int64_t> ByteLevelBpe::token_to_id(const std::string& byte_level_token) const {
  auto it = token_id_.find(byte_level_token);
  if (it == token_id_.end()) return std::nullopt;
  return it->second;
}

const std::string* ByteLevelBpe::id_to_token(int64_t id) const {
  if (id < 0 || id >= static_cast<int64_t>(id_token_.size()) || !id_valid_[id]) return nullptr;
  return &id_token_[id];
}

const std::string* ByteLevelBpe::id_to_bytes(int64_t id) const {
  if (id < 0 || id >= static_cast<int64_t>(id_bytes_.size()) || !id_valid_[id]) return nullptr;
  return &id_bytes_[id];
}

}  // namespace higgs
