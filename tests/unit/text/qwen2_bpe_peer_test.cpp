// byte_level_bpe on a Qwen2-style tokenizer.json (NFC normalizer, the Qwen2 split regex,
// ByteLevel without its regex, added tokens as Higgs Audio v3's prompt and control tags) against
// Hugging Face `tokenizers`, the peer that made the file
// (tests/text/qwen2_peer/make_qwen2_peer.py): the same ids on every line of a corpus in twelve
// languages, NFD lines included.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "components/text/llama3_bpe.h"
#include "components/text/nfc.h"
#include "framework/registry/registry.h"

namespace qwen2_bpe_peer_test {

using nlohmann::json;

std::string qwen_peer_dir() { return std::string(HIGGS_BINARY_DIR) + "/text/qwen2_peer"; }

// Makes the peer's files once per process; returns the script's exit status and output.
const std::pair<int, std::string>& make_qwen_peer() {
  static const std::pair<int, std::string> result = [] {
    std::string python = std::getenv("HIGGS_PYTHON") ? std::getenv("HIGGS_PYTHON") : HIGGS_PYTHON;
    std::string cmd = "'" + python + "' '" + std::string(HIGGS_SOURCE_DIR) +
                      "/tests/text/qwen2_peer/make_qwen2_peer.py' '" + qwen_peer_dir() + "' 2>&1";
    std::string output;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return std::make_pair(-1, std::string("popen failed"));
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    return std::make_pair(pclose(p), output);
  }();
  return result;
}

json read_qwen_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace qwen2_bpe_peer_test

using namespace qwen2_bpe_peer_test;

TEST_CASE("byte_level_bpe: a Qwen2 tokenizer.json gives the ids of Hugging Face tokenizers") {
  const auto& [rc, output] = make_qwen_peer();
  REQUIRE_MESSAGE(rc == 0, "make_qwen2_peer.py failed (tokenizers missing from the venv?):\n"
                               << output);
  higgs::Llama3BpeTokenizer tok(qwen_peer_dir() + "/tokenizer.json");
  const json peer = read_qwen_json(qwen_peer_dir() + "/peer.json");
  std::ifstream corpus(qwen_peer_dir() + "/corpus.jsonl");
  std::string line;
  size_t i = 0, mismatches = 0, tokens = 0;
  std::string first;
  while (std::getline(corpus, line)) {
    const std::string text = json::parse(line).get<std::string>();
    REQUIRE(i < peer.size());
    const auto ours = tok.encode(text);
    const auto theirs = peer[i].get<std::vector<int64_t>>();
    tokens += ours.size();
    if (ours != theirs && mismatches++ == 0) first = "line " + std::to_string(i + 1) + ": " + line;
    ++i;
  }
  CHECK(i == peer.size());
  CHECK(i > 600);
  CHECK(tokens > 5000);
  CHECK_MESSAGE(mismatches == 0, mismatches << " lines differ from tokenizers; first " << first);
  // NFC: the decomposed and the composed spelling are one text; an added token stays whole.
  CHECK(tok.encode("e\u0301te\u0301") == tok.encode("\u00e9t\u00e9"));
  CHECK(tok.decode(tok.encode("Grüße aus München")) == "Grüße aus München");
  const auto tags = tok.encode("<|tts|><|emotion:happy|>Hallo");
  REQUIRE(tags.size() >= 3);
  CHECK(tags[0] == *tok.token_to_id("<|tts|>"));
  CHECK(tags[1] == *tok.token_to_id("<|emotion:happy|>"));
}

TEST_CASE("nfc: composes decomposed text and leaves composed text and ASCII alone") {
  CHECK(higgs::to_nfc("plain ascii") == "plain ascii");
  CHECK(higgs::to_nfc("e\u0301") == "\u00e9");
  CHECK(higgs::to_nfc("\u1100\u1161") == "\uac00");  // Hangul jamo to a syllable
  CHECK(higgs::to_nfc("\u00e9t\u00e9") == "\u00e9t\u00e9");
  CHECK(higgs::registry("text_tokenizer").find("byte_level_bpe") != nullptr);
}
