// llama3_bpe on a small tiktoken tokenizer.model written by the test (the format of the file Meta
// ships beside the Llama-3 weights): ids worked out by hand, merges derived from the ranks, and
// the errors for malformed files. The real 128k-rank file is checked in llama3_bpe_peer_test.cpp.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "components/text/llama3_bpe.h"
#include "components/text/tiktoken_bpe.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace llama3_tiktoken_test {

// Single bytes are not at rank = byte value (nor are they in Meta's file): byte b has rank
// (7b + 3) mod 256, so a reader that took the byte for the id would fail every case.
int64_t r(unsigned char b) { return (7 * b + 3) % 256; }

// Multi-byte tokens after the 256 bytes, in rank order. "hello" has no split into two tokens, so
// only a whole pre-token can produce it (as in tiktoken).
const std::vector<std::string> kMerged = {"he",       " t",   " the", "ll",  "hello", "aa", "aaa",
                                          "\xC3\xA9", "\n\n", "12",   "123", "'s",    "  "};
enum : int64_t {
  kHe = 256,
  kSpT,
  kSpThe,
  kLl,
  kHello,
  kAa,
  kAaa,
  kEacute,
  kNlNl,
  k12,
  k123,
  kApS,
  kSpSp,
  kN
};  // kN: number of ranks; special tokens start there

std::string base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 2]);
    out += a[v >> 18];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? a[v & 63] : '=';
  }
  return out;
}

std::vector<std::string> tokens_by_rank() {
  std::vector<std::string> t(256);
  for (int b = 0; b < 256; ++b) t[r(static_cast<unsigned char>(b))] = std::string(1, char(b));
  t.insert(t.end(), kMerged.begin(), kMerged.end());
  return t;
}

std::string tiktoken_text(const std::vector<std::string>& tokens) {
  std::string s;
  for (size_t k = 0; k < tokens.size(); ++k)
    s += base64(tokens[k]) + " " + std::to_string(k) + "\n";
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() / ("higgs_llama3_tiktoken_" + std::to_string(::getpid()) +
                                        "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

Ids bytes_of(const std::string& s) {
  Ids ids;
  for (unsigned char c : s) ids.push_back(r(c));
  return ids;
}

TEST_CASE("llama3_bpe tokenizer.model: hand-computed ids on a tiny tiktoken file") {
  TempDir dir;
  const std::string text = tiktoken_text(tokens_by_rank());
  const std::string path = dir.write("tokenizer.model", text);
  higgs::Llama3BpeTokenizer tok(path);

  const std::vector<std::pair<std::string, Ids>> cases = {
      {"the", {r('t'), kHe}},                  // h+e; "the" is no token
      {" the", {kSpThe}},                      // " t" + "he"
      {"hello", {kHello}},                     // a pre-token that is a token stays whole
      {"hellos", {kHe, kLl, r('o'), r('s')}},  // not a token: merges only
      {"aaaa", {kAa, kAa}},                    // lowest rank, leftmost first: aa|aa
      {"aaaaa", {kAa, kAaa}},                  // aa a a a -> aa aa a -> aa aaa
      {"caf\xC3\xA9", {r('c'), r('a'), r('f'), kEacute}},  // "café" is one \p{L}+ pre-token
      {"x\n\ny", {r('x'), kNlNl, r('y')}},                 // \s*[\r\n]+ takes "\n\n"
      {"12345", {k123, r('4'), r('5')}},                   // \p{N}{1,3}: "123" "45"; 4+5 no token
      {"12312", {k123, k12}},
      {"1234", {k123, r('4')}},
      {"it'S", {r('i'), r('t'), r('\''), r('S')}},  // (?i:'s) splits "'S"; only "'s" merges
      {"it's", {r('i'), r('t'), kApS}},
      {"a   b", {r('a'), kSpSp, r(' '), r('b')}},  // \s+(?!\S) leaves " b"
      {"hi<|eot_id|>the", {r('h'), r('i'), kN + 9, r('t'), kHe}},
      {"<|begin_of_text|><|start_header_id|>", {kN, kN + 6}},
      {"<|reserved_special_token_250|>", {kN + 255}},
      {"", {}},
  };
  for (const auto& [s, expected] : cases) {
    CAPTURE(s);
    CHECK(tok.encode(s) == expected);
    CHECK(tok.decode(expected) == s);
  }
  // Llama-3.1's names are not Llama-3's special tokens: plain text here.
  CHECK(tok.encode("<|eom_id|>") == bytes_of("<|eom_id|>"));

  CHECK(tok.vocab_size() == kN + 256);
  CHECK(tok.token_to_id("Ġthe") == kSpThe);
  CHECK(tok.token_to_id("Ã©") == kEacute);
  CHECK(tok.token_to_id("<|eot_id|>") == kN + 9);
  CHECK(tok.id_to_token(kN + 8) == "<|reserved_special_token_4|>");
  CHECK(tok.id_to_token(r(' ')) == "Ġ");
  CHECK(tok.id_to_token(kNlNl) == "ĊĊ");
  CHECK_THROWS_AS(tok.decode({kN + 256}), std::out_of_range);
  CHECK(tok.identity() == higgs::fnv1a_hex(text));
  CHECK(tok.file() == path);
  CHECK(higgs::is_tiktoken_file(path));
}

TEST_CASE("llama3_bpe tokenizer.model: merges derived from the ranks") {
  const auto merges = higgs::tiktoken_merges(tokens_by_rank());
  using M = std::pair<int32_t, int32_t>;
  auto m = [](const std::string& a, const std::string& b) {
    const auto t = tokens_by_rank();
    auto rank = [&](const std::string& s) {
      return static_cast<int32_t>(std::find(t.begin(), t.end(), s) - t.begin());
    };
    return M{rank(a), rank(b)};
  };
  // In the order of the token made; for one token, by the left then the right rank ("a" has
  // rank 170 < 261 = "aa"). "hello" has no split.
  const std::vector<M> expected = {m("h", "e"),   m(" ", "t"),  m(" t", "he"), m("l", "l"),
                                   m("a", "a"),   m("a", "aa"), m("aa", "a"),  m("\xC3", "\xA9"),
                                   m("\n", "\n"), m("1", "2"),  m("12", "3"),  m("'", "s"),
                                   m(" ", " ")};
  CHECK(merges == expected);
  CHECK(m("a", "aa") == M{170, kAa});
}

TEST_CASE("llama3_bpe tokenizer.model: found in a checkpoint directory") {
  TempDir dir;
  const std::string text = tiktoken_text(tokens_by_rank());
  dir.write("meta/original/tokenizer.model", text);
  higgs::Llama3BpeTokenizer from_original((dir.path / "meta").string());
  CHECK(from_original.file() == (dir.path / "meta/original/tokenizer.model").string());
  CHECK(from_original.encode(" the") == Ids{kSpThe});

  dir.write("meta/tokenizer.model", text);
  CHECK(higgs::resolve_llama3_tokenizer_file((dir.path / "meta").string()) ==
        (dir.path / "meta/tokenizer.model").string());
  dir.write("meta/tokenizer.json", "{}");
  CHECK(higgs::resolve_llama3_tokenizer_file((dir.path / "meta").string()) ==
        (dir.path / "meta/tokenizer.json").string());
  CHECK_THROWS_WITH_AS(higgs::Llama3BpeTokenizer((dir.path / "meta/original/x").string()),
                       doctest::Contains("tokenizer file not found"), std::runtime_error);
  fs::create_directories(dir.path / "empty");
  CHECK_THROWS_WITH_AS(higgs::Llama3BpeTokenizer((dir.path / "empty").string()),
                       doctest::Contains("no tokenizer.json, tokenizer.model or original/"),
                       std::runtime_error);
  CHECK_FALSE(higgs::is_tiktoken_file(dir.write("t.json", "{\"model\": 1}\n")));
}

TEST_CASE("llama3_bpe tokenizer.model: malformed files fail naming the file and line") {
  TempDir dir;
  const std::vector<std::string> good = tokens_by_rank();
  auto expect_error = [&](const std::string& text, const std::string& where,
                          const std::string& what) {
    const std::string path = dir.write("bad.model", text);
    try {
      higgs::Llama3BpeTokenizer tok(path);
      FAIL("no error for " << what);
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      CAPTURE(msg);
      CHECK(msg.find(path + where) != std::string::npos);
      CHECK(msg.find(what) != std::string::npos);
    }
  };
  const std::string head = tiktoken_text(std::vector<std::string>(good.begin(), good.begin() + 5));
  // Line 6 (after five good lines) in each case; a blank line still counts.
  expect_error(head + "aGV*bG8= 5\n", ":6:", "not valid base64");
  expect_error(head + "aGVsbG8 5\n", ":6:", "not valid base64");  // no padding
  expect_error(head + "aG=sbG8= 5\n", ":6:", "not valid base64");
  expect_error(head + "\n" + base64(good[5]) + " 7\n", ":7:", "rank 7 where 5 was expected");
  expect_error(head + base64(good[0]) + " 5\n", ":6:", "already has rank 0 (line 1)");
  expect_error(head + base64(good[5]) + "\n", ":6:", "expected a tiktoken line");
  expect_error(head + base64(good[5]) + " five\n", ":6:", "expected a tiktoken line");
  expect_error(head + " 5\n", ":6:", "expected a tiktoken line");
  expect_error(head + "= 5\n", ":6:", "not valid base64");
  expect_error(std::string("\x0a\x0b\x00\x01\x80 proto", 11), ":2:", "sentencepiece");
  expect_error("", ": no tokens", "empty tiktoken file");
  // Every single byte needs a token: drop byte 0x41 ('A', at rank 202) and renumber.
  std::vector<std::string> missing = good;
  missing.erase(missing.begin() + r('A'));
  expect_error(tiktoken_text(missing), ": no token for the byte 0x41", "all 256 single bytes");
  // CRLF line ends and blank lines are accepted.
  std::string crlf;
  for (size_t k = 0; k < good.size(); ++k)
    crlf += base64(good[k]) + " " + std::to_string(k) + "\r\n\n";
  higgs::Llama3BpeTokenizer tok(dir.write("crlf.model", crlf));
  CHECK(tok.encode(" the\nhello") == Ids{kSpThe, r('\n'), kHello});
  CHECK_FALSE(higgs::is_tiktoken_file(dir.write("proto.model", std::string("\x0a\x0b\x00", 3))));
}

}  // namespace llama3_tiktoken_test
