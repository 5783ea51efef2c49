// sentencepiece (through the dlmopen'ed shim, in a process that has libtorch loaded) against the
// spm_encode CLI, on a tiny BPE model trained here with spm_train.
#include "components/text/sentencepiece.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <doctest/doctest.h>

#include "framework/registry/registry.h"

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

namespace {

std::pair<int, std::string> sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return {pclose(p), out};
}

const char* kSpecials = "<|eot_id|>,<|AUDIO|>,<SE>,</SE>,<|audio_out_bos|>";

// Trains the model once per process: ~3000 lines of words, digits, a few accented and CJK
// characters and the special tokens inline.
struct ModelDir {
  fs::path path;
  ~ModelDir() { fs::remove_all(path); }
};

const fs::path& model_dir() {
  static const ModelDir dir{[] {
    fs::path d = fs::temp_directory_path() / ("higgs_spm_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    const std::vector<std::string> words = {
        "hello", "world", "the",  "voice", "audio", "model", "train", "speech", "quiet", "room",
        "café",  "über",  "你好", "laugh", "music", "one",   "two",   "three",  "2024",  "42"};
    const std::vector<std::string> specials = {"<|eot_id|>", "<|AUDIO|>", "<SE>", "</SE>",
                                               "<|audio_out_bos|>"};
    std::mt19937 rng(7);
    std::ofstream corpus(d / "corpus.txt");
    for (int i = 0; i < 3000; ++i) {
      int n = 3 + rng() % 10;
      for (int k = 0; k < n; ++k) {
        if (k) corpus << (rng() % 7 ? " " : ", ");
        corpus << (rng() % 12 ? words[rng() % words.size()] : specials[rng() % specials.size()]);
      }
      corpus << (rng() % 3 ? "." : "!") << "\n";
    }
    corpus.close();
    auto [rc, out] = sh("spm_train --input=" + (d / "corpus.txt").string() +
                        " --model_prefix=" + (d / "tiny").string() +
                        " --vocab_size=200 --model_type=bpe --character_coverage=1.0"
                        " --minloglevel=2 --user_defined_symbols='" +
                        kSpecials + "'");
    if (rc != 0) FAIL("spm_train failed:\n" << out);
    return d;
  }()};
  return dir.path;
}

}  // namespace

TEST_CASE("sentencepiece: ids equal spm_encode's on a tiny BPE model") {
  const fs::path& d = model_dir();
  const std::vector<std::string> lines = {
      "hello world",
      "the voice model, trained on speech!",
      "hi<|eot_id|>there",
      "<|eot_id|> leading and trailing <SE>",
      "<SE>laugh</SE> music<|AUDIO|><|audio_out_bos|>",
      "café über 你好 12345 2024",
      "unseen chars: ж ü ☃ 😀",
      "  many    spaces\tand\ttabs  ",
      "<s> control symbols stay text </s> <unk>",
      "<|eot_id <SE <|AUDIO|",
      "",
  };
  {
    std::ofstream in(d / "lines.txt");
    for (const auto& l : lines) in << l << "\n";
  }
  auto [rc, out] = sh("spm_encode --model=" + (d / "tiny.model").string() +
                      " --output_format=id < " + (d / "lines.txt").string());
  REQUIRE_MESSAGE(rc == 0, out);
  std::istringstream cli(out);
  higgs::SentencePieceTokenizer tok((d / "tiny.model").string());
  CHECK(tok.vocab_size() == 200);
  for (const auto& line : lines) {
    std::string ids_line;
    REQUIRE(std::getline(cli, ids_line));
    Ids expected;
    std::istringstream is(ids_line);
    for (int64_t id; is >> id;) expected.push_back(id);
    CAPTURE(line);
    CHECK(tok.encode(line) == expected);
  }
  // User-defined symbols come right after <unk>, <s>, </s>, in the order given to spm_train, and
  // written inline they encode to exactly their id.
  const std::vector<std::string> specials = {"<|eot_id|>", "<|AUDIO|>", "<SE>", "</SE>",
                                             "<|audio_out_bos|>"};
  for (size_t k = 0; k < specials.size(); ++k) {
    CHECK(tok.token_to_id(specials[k]) == static_cast<int64_t>(3 + k));
    CHECK(tok.id_to_token(3 + k) == specials[k]);
  }
  Ids hi = tok.encode("hi<|eot_id|>there");
  CHECK(std::count(hi.begin(), hi.end(), 3) == 1);
  CHECK(tok.decode(tok.encode("hello world<|eot_id|>")) == "hello world<|eot_id|>");
  CHECK(tok.token_to_id("<unk>") == 0);
  CHECK_FALSE(tok.token_to_id("no-such-piece").has_value());
  CHECK_THROWS_AS(tok.id_to_token(200), std::out_of_range);
  CHECK(tok.identity().size() == 16);
}

TEST_CASE("sentencepiece: clear errors for a missing model or shim") {
  CHECK_THROWS_WITH_AS(higgs::SentencePieceTokenizer("/nonexistent/x.model"),
                       doctest::Contains("/nonexistent/x.model"), std::runtime_error);
  CHECK_THROWS_WITH_AS(
      higgs::SentencePieceTokenizer((model_dir() / "tiny.model").string(), "/nonexistent/shim.so"),
      doctest::Contains("shim not found"), std::runtime_error);
  CHECK(higgs::registry("text_tokenizer").find("sentencepiece") != nullptr);
}
