// llama3_bpe on a small tokenizer.json written by the test; expected ids worked out by hand.
#include "components/text/llama3_bpe.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "framework/registry/registry.h"
#include "framework/util/fs.h"

namespace fs = std::filesystem;
using higgs::Llama3BpeTokenizer;
using nlohmann::json;
using Ids = std::vector<int64_t>;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace llama3_bpe_test {

const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// GPT-2's byte -> printable code point map, written out again here so the test does not reuse
// the code under test.
std::string byte_char(int b) {
  int cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255))) {
    int n = 0;
    for (int k = 0; k < b; ++k)
      if (!((k >= 33 && k <= 126) || (k >= 161 && k <= 172) || (k >= 174 && k <= 255))) ++n;
    cp = 256 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s.push_back(static_cast<char>(cp));
  } else {
    s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return s;
}

json added(int64_t id, const std::string& content, bool special = true, bool strip = false) {
  return {{"id", id},        {"content", content},  {"single_word", false}, {"lstrip", strip},
          {"rstrip", strip}, {"normalized", false}, {"special", special}};
}

// Byte tokens have id = byte value; merged tokens 256+ in merge order; "hello" (300) has no merge
// path of its own, so only ignore_merges can produce it.
json tiny_tokenizer(bool ignore_merges) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_char(b)] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"l", "l"}, {"'", "s"},
      {"1", "2"}, {"Ġ", "Ġ"}, {"Ċ", "Ċ"},   {"'", "S"}, {"3", "4"},
      {"Ã", "©"}, {"Â", "ł"}, {"a", "a"},   {"b", "c"}, {"a", "b"}};
  json jm = json::array();
  for (size_t r = 0; r < merges.size(); ++r) {
    vocab[merges[r].first + merges[r].second] = 256 + static_cast<int>(r);
    // Both forms that tokenizer.json files use: "a b" and ["a", "b"].
    if (r % 2)
      jm.push_back(json::array({merges[r].first, merges[r].second}));
    else
      jm.push_back(merges[r].first + " " + merges[r].second);
  }
  vocab["hello"] = 300;
  json pre = {{"type", "Sequence"},
              {"pretokenizers",
               {{{"type", "Split"},
                 {"pattern", {{"Regex", kLlama3Regex}}},
                 {"behavior", "Isolated"},
                 {"invert", false}},
                {{"type", "ByteLevel"},
                 {"add_prefix_space", false},
                 {"trim_offsets", true},
                 {"use_regex", false}}}}};
  return {{"version", "1.0"},
          {"added_tokens",
           {added(128000, "<|begin_of_text|>"), added(128009, "<|eot_id|>"), added(128022, "<SE>"),
            added(128023, "</SE>"), added(128024, "<SE_s>"), added(128100, "<SE><SE>"),
            added(128255, "<mask>", false, true)}},
          {"normalizer", nullptr},
          {"pre_tokenizer", pre},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", ignore_merges},
            {"vocab", vocab},
            {"merges", jm}}}};
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("higgs_llama3_bpe_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const json& j) const {
    std::ofstream(path / name) << j.dump();
    return (path / name).string();
  }
};

TEST_CASE("llama3_bpe: hand-computed ids on a tiny tokenizer.json") {
  TempDir dir;
  Llama3BpeTokenizer tok(dir.write("tokenizer.json", tiny_tokenizer(true)));

  const std::vector<std::pair<std::string, Ids>> cases = {
      {"the", {116, 257}},                          // h+e (rank 1); no "t he" merge
      {" the", {258}},                              // Ġ+t, h+e, Ġt+he
      {"hello the", {300, 258}},                    // ignore_merges: "hello" is a token
      {"hellos", {257, 259, 111, 115}},             // not a token: he, ll, o, s
      {"he's", {257, 260}},                         // contraction split
      {"'SAM", {264, 65, 77}},                      // (?i:'s) takes "'S" before \p{L}+
      {"1234", {261, 51, 52}},                      // \p{N}{1,3}: "123" "4", never "34"
      {"12345678", {261, 51, 52, 53, 54, 55, 56}},  // "123" "456" "78"
      {"a   b", {97, 262, 32, 98}},                 // \s+(?!\S) leaves " b" whole
      {"a  ", {97, 262}},                           // trailing run
      {"x\n\ny", {120, 263, 121}},                  // \s*[\r\n]+
      {"a \n b", {97, 32, 10, 32, 98}},             // " \n" is one pre-token
      {"x\r\n\tz", {120, 13, 10, 9, 122}},          // "\r\n" then "\tz"
      {"\xC3\xA9", {266}},                          // é = C3 A9 -> "Ã©"
      {"a\xC2\xA0"
       "b",
       {97, 267, 98}},                                    // NBSP (C2 A0 -> "Âł") joins "b"
      {"\xF0\x9F\x98\x80", {240, 159, 152, 128}},         // 😀 as four byte tokens
      {"aaa", {268, 97}},                                 // equal ranks: leftmost first
      {"abc", {97, 269}},                                 // b+c (rank 13) before a+b (rank 14)
      {"hi<|eot_id|>the", {104, 105, 128009, 116, 257}},  // special token inline
      {"<SE_s>x</SE>", {128024, 120, 128023}},
      {"<SE><SE><SE>", {128100, 128022}},                    // leftmost-longest match
      {"<|eot_id", {60, 124, 101, 111, 116, 95, 105, 100}},  // "<|" "eot" "_id"
      {"", {}},
  };
  for (const auto& [text, expected] : cases) {
    CAPTURE(text);
    CHECK(tok.encode(text) == expected);
    CHECK(tok.decode(expected) == text);
  }
  // lstrip/rstrip: the non-special "<mask>" swallows the spaces around it.
  CHECK(tok.encode("a <mask>  b") == Ids{97, 128255, 98});
  CHECK(tok.decode({97, 128255, 98}) == "a<mask>b");

  CHECK(tok.vocab_size() == 128256);
  CHECK(tok.token_to_id("Ġthe") == 258);
  CHECK(tok.token_to_id("<|eot_id|>") == 128009);
  CHECK_FALSE(tok.token_to_id("nope").has_value());
  CHECK(tok.id_to_token(32) == "Ġ");
  CHECK(tok.id_to_token(10) == "Ċ");
  CHECK(tok.id_to_token(160) == "ł");
  CHECK(tok.id_to_token(128022) == "<SE>");
  CHECK_THROWS_AS(tok.decode({5000}), std::out_of_range);
  CHECK_THROWS_AS(tok.encode("bad \xC3("), std::invalid_argument);

  // A directory holding tokenizer.json works too and has the same identity (hash of the bytes).
  Llama3BpeTokenizer from_dir(dir.path.string());
  CHECK(from_dir.identity() == tok.identity());
  std::ifstream in(dir.path / "tokenizer.json", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(tok.identity() == higgs::fnv1a_hex(ss.str()));
  CHECK(higgs::fnv1a_hex("") == "cbf29ce484222325");
  CHECK(higgs::fnv1a_hex("a") == "af63dc4c8601ec8c");
}

TEST_CASE("llama3_bpe: without ignore_merges every word goes through the merges") {
  TempDir dir;
  Llama3BpeTokenizer tok(dir.write("tokenizer.json", tiny_tokenizer(false)));
  CHECK(tok.encode("hello the") == Ids{257, 259, 111, 258});
  CHECK(tok.identity() != Llama3BpeTokenizer(dir.write("b.json", tiny_tokenizer(true))).identity());
}

TEST_CASE("llama3_bpe: concurrent encodes agree with a serial one (shared word cache)") {
  TempDir dir;
  Llama3BpeTokenizer tok(dir.write("tokenizer.json", tiny_tokenizer(true)));
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i)
    texts.push_back("the " + std::to_string(i * 7919) + " hellos he's<SE>" +
                    std::string(i % 9, ' '));
  std::vector<Ids> serial;
  for (const auto& t : texts) serial.push_back(tok.encode(t));
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      for (int rep = 0; rep < 20; ++rep)
        for (size_t i = 0; i < texts.size(); ++i)
          if (tok.encode(texts[(i + w * 37) % texts.size()]) != serial[(i + w * 37) % texts.size()])
            ++bad[w];
    });
  for (auto& t : threads) t.join();
  CHECK(bad == std::vector<int>(4, 0));
}

TEST_CASE("llama3_bpe: unsupported tokenizer.json features fail naming the file and field") {
  TempDir dir;
  auto expect_error = [&](json j, const std::string& field) {
    std::string path = dir.write("bad.json", j);
    try {
      Llama3BpeTokenizer tok(path);
      FAIL("no error for " << field);
    } catch (const std::runtime_error& e) {
      std::string msg = e.what();
      CAPTURE(msg);
      CHECK(msg.find(path) != std::string::npos);
      CHECK(msg.find(field) != std::string::npos);
    }
  };
  json j = tiny_tokenizer(true);
  j["normalizer"] = {{"type", "NFKC"}};  // NFC (Qwen's) is read; other normalizers are not
  expect_error(j, "normalizer");
  j = tiny_tokenizer(true);
  j["model"]["type"] = "WordPiece";
  expect_error(j, "model.type");
  j = tiny_tokenizer(true);
  j["added_tokens"][1]["single_word"] = true;
  expect_error(j, "added_tokens[1].single_word");
  j = tiny_tokenizer(true);
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  expect_error(j, "pre_tokenizer.pretokenizers[0].behavior");
  j = tiny_tokenizer(true);
  j["pre_tokenizer"] = {{"type", "Metaspace"}};
  expect_error(j, "pre_tokenizer");
  j = tiny_tokenizer(true);
  j["model"]["merges"].push_back("q zz");
  expect_error(j, "model.merges[15]");
  CHECK_THROWS_WITH_AS(Llama3BpeTokenizer((dir.path / "missing").string()),
                       doctest::Contains("tokenizer file not found"), std::runtime_error);
}

TEST_CASE("llama3_bpe: registered as a text_tokenizer") {
  CHECK(higgs::registry("text_tokenizer").find("llama3_bpe") != nullptr);
}

}  // namespace llama3_bpe_test
