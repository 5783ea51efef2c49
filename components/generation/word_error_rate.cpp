#include "components/generation/word_error_rate.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace higgs::generation {
namespace {

// UTF-8 punctuation of other scripts that Seed-TTS-eval strips too (zhon's hanzi punctuation and
// typographic quotes and dashes).
const char* const kUnicodePunctuation[] = {
    "\u3002", "\uff0c", "\u3001", "\uff1b", "\uff1a", "\uff1f", "\uff01", "\u201c", "\u201d",
    "\u2018", "\u2019", "\uff08", "\uff09", "\u300a", "\u300b", "\u3010", "\u3011", "\u2014",
    "\u2026", "\u2013", "\u00b7", "\u300c", "\u300d", "\u300e", "\u300f", "\u00bf", "\u00a1"};

std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 1;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace

std::string normalize_for_wer(const std::string& text) {
  std::string s = text;
  for (const char* p : kUnicodePunctuation) {
    // The right single quote is an apostrophe in English text ("don’t"): kept, as '.
    const std::string mark = p;
    const std::string with = mark == "\u2019" ? "'" : " ";
    for (size_t pos = s.find(mark); pos != std::string::npos; pos = s.find(mark, pos))
      s.replace(pos, mark.size(), with);
  }
  std::string out;
  bool space = false;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80 && std::ispunct(c) && c != '\'') continue;
    if (c < 0x80 && std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c < 0x80 ? static_cast<char>(std::tolower(c)) : ch;
  }
  return out;
}

size_t edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ErrorRates error_rates(const std::string& reference, const std::string& hypothesis) {
  auto words = [](const std::string& s) {
    std::vector<std::string> w;
    std::istringstream in(s);
    for (std::string x; in >> x;) w.push_back(x);
    return w;
  };
  auto chars = [](const std::string& s) {
    std::vector<std::string> c;
    for (auto& p : code_points(s))
      if (p != " ") c.push_back(p);
    return c;
  };
  const std::string ref = normalize_for_wer(reference), hyp = normalize_for_wer(hypothesis);
  const auto rw = words(ref), hw = words(hyp);
  const auto rc = chars(ref), hc = chars(hyp);
  ErrorRates r;
  r.words = rw.size();
  r.chars = rc.size();
  r.word_errors = edit_distance(rw, hw);
  r.char_errors = edit_distance(rc, hc);
  r.wer = rw.empty() ? (hw.empty() ? 0.0 : 1.0) : double(r.word_errors) / double(rw.size());
  r.cer = rc.empty() ? (hc.empty() ? 0.0 : 1.0) : double(r.char_errors) / double(rc.size());
  return r;
}

}  // namespace higgs::generation
