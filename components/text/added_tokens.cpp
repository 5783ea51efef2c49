#include "components/text/added_tokens.h"

#include "components/text/utf8.h"

namespace higgs {

AddedTokenSplitter::AddedTokenSplitter(const std::vector<AddedToken>& tokens) {
  for (const auto& t : tokens)
    if (!t.content.empty()) passes_[t.special ? 0 : 1].tokens.push_back(t);
  build(passes_[0]);
  build(passes_[1]);
}

void AddedTokenSplitter::build(Pass& pass) {
  pass.terminal.assign(1, -1);
  for (size_t k = 0; k < pass.tokens.size(); ++k) {
    const std::string& s = pass.tokens[k].content;
    pass.first_byte[static_cast<unsigned char>(s[0])] = true;
    int32_t node = 0;
    for (unsigned char c : s) {
      uint64_t key = (static_cast<uint64_t>(node) << 8) | c;
      auto it = pass.edges.find(key);
      if (it == pass.edges.end()) {
        int32_t child = static_cast<int32_t>(pass.terminal.size());
        pass.terminal.push_back(-1);
        it = pass.edges.emplace(key, child).first;
      }
      node = it->second;
    }
    // Two entries with the same content: the first one wins.
    if (pass.terminal[node] < 0) pass.terminal[node] = static_cast<int32_t>(k);
  }
}

void AddedTokenSplitter::split_pass(const Pass& pass, std::string_view text, size_t begin,
                                    size_t end, std::vector<TextSegment>& out) {
  size_t start_offset = begin;  // end of the previous match
  size_t i = begin;
  while (i < end) {
    if (!pass.first_byte[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0, best = -1;
    size_t best_end = i;
    for (size_t j = i; j < end; ++j) {
      auto it =
          pass.edges.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[j]));
      if (it == pass.edges.end()) break;
      node = it->second;
      if (pass.terminal[node] >= 0) best = pass.terminal[node], best_end = j + 1;
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = pass.tokens[best];
    size_t start = i, stop = best_end;
    if (tok.lstrip) {
      while (start > start_offset) {
        size_t p = utf8::prev_start(text, start);
        size_t q = p;
        if (!utf8::is_white_space(utf8::next(text, q))) break;
        start = p;
      }
    }
    if (tok.rstrip) {
      while (stop < end) {
        size_t q = stop;
        if (!utf8::is_white_space(utf8::next(text, q))) break;
        stop = q;
      }
    }
    if (start_offset < start) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, tok.id});
    start_offset = i = stop;
  }
  if (start_offset < end) out.push_back({start_offset, end, -1});
}

std::vector<TextSegment> AddedTokenSplitter::split(std::string_view text) const {
  std::vector<TextSegment> first;
  if (passes_[0].tokens.empty()) {
    if (!text.empty()) first.push_back({0, text.size(), -1});
  } else {
    split_pass(passes_[0], text, 0, text.size(), first);
  }
  if (passes_[1].tokens.empty()) return first;
  std::vector<TextSegment> out;
  for (const auto& seg : first) {
    if (seg.token_id >= 0)
      out.push_back(seg);
    else
      split_pass(passes_[1], text, seg.begin, seg.end, out);
  }
  return out;
}

}  // namespace higgs
