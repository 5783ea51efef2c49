// llama3_bpe against Meta's Llama-3 tokenizer and two independent encoders of it, on a 2,400-line
// corpus: Hugging Face tokenizers (on tokenizer.json) and tiktoken (on Meta's tokenizer.model, with
// Meta's pattern, built as Meta's llama_models/llama3/tokenizer.py builds it). Meta's
// tokenizer.model comes from PyPI's llama-models wheel; tokenizer.json is converted from it, and
// compared with the real Llama-3 tokenizer.json where ../shared/reference holds one.
// tests/text/llama3_peer/setup.sh prepares it all in the build tree; PyPI is needed once.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "components/text/llama3_bpe.h"
#include "framework/util/fs.h"

using nlohmann::json;
using Ids = std::vector<int64_t>;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace llama3_bpe_peer_test {

std::string peer_dir() { return std::string(HIGGS_BINARY_DIR) + "/text/llama3_peer"; }

// The real Llama-3 tokenizer.json, beside the source tree only where ../shared exists.
std::string reference_json() {
  return std::string(HIGGS_SOURCE_DIR) + "/../shared/reference/llama3-tokenizer/tokenizer.json";
}

// Runs the setup script once per process; returns its exit status and output.
const std::pair<int, std::string>& setup_peer() {
  static const std::pair<int, std::string> result = [] {
    std::string python;
#ifdef HIGGS_PYTHON
    if (!std::getenv("HIGGS_PYTHON")) python = "HIGGS_PYTHON='" HIGGS_PYTHON "' ";
#endif
    std::string cmd = python + "bash '" + std::string(HIGGS_SOURCE_DIR) +
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

void require_setup() {
  const auto& [rc, output] = setup_peer();
  REQUIRE_MESSAGE(rc == 0,
                  "the tokenizer peers could not be set up (PyPI unreachable on the first run, or "
                  "tokenizers/tiktoken missing from the venv?). setup.sh said:\n"
                      << output);
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
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  return json::parse(in);
}

std::string show(const Ids& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

// Encodes the corpus with `tokenizer_file` and checks every line against each peer's ids.
void compare_with_peers(const std::string& tokenizer_file, const std::vector<std::string>& peers) {
  require_setup();
  higgs::Llama3BpeTokenizer tok(peer_dir() + "/" + tokenizer_file);
  auto lines = read_lines(peer_dir() + "/corpus.jsonl");
  REQUIRE(lines.size() >= 2000);
  std::vector<json> peer_ids;
  for (const auto& p : peers) {
    peer_ids.push_back(read_json(peer_dir() + "/" + p));
    REQUIRE_MESSAGE(peer_ids.back().size() == lines.size(), p);
  }
  std::vector<size_t> mismatches(peers.size(), 0);
  std::vector<std::string> first_mismatch(peers.size());
  size_t bad_roundtrips = 0, tokens = 0;
  std::string first_bad_roundtrip;
  for (size_t i = 0; i < lines.size(); ++i) {
    Ids ours = tok.encode(lines[i]);
    tokens += ours.size();
    for (size_t k = 0; k < peers.size(); ++k) {
      Ids theirs = peer_ids[k][i].get<Ids>();
      if (ours != theirs && mismatches[k]++ == 0)
        first_mismatch[k] = "line " + std::to_string(i + 1) + ": " + json(lines[i]).dump() +
                            "\n  ours: " + show(ours) + "\n  peer: " + show(theirs);
    }
    if (tok.decode(ours) != lines[i] && bad_roundtrips++ == 0)
      first_bad_roundtrip = "line " + std::to_string(i + 1) + ": " + json(lines[i]).dump();
  }
  for (size_t k = 0; k < peers.size(); ++k) {
    MESSAGE(tokenizer_file << " vs " << peers[k] << ": " << lines.size() << " lines, " << tokens
                           << " tokens, " << mismatches[k] << " mismatches");
    CHECK_MESSAGE(mismatches[k] == 0, peers[k] << ": " << mismatches[k] << " lines differ; first "
                                               << first_mismatch[k]);
  }
  CHECK_MESSAGE(bad_roundtrips == 0, "decode(encode(x)) != x on " << first_bad_roundtrip);
  CHECK(tokens > 50000);  // the corpus really was tokenized
}

// merges as [left, right] pairs, whichever of the two tokenizer.json forms the file uses.
json merge_pairs(const json& merges) {
  json out = json::array();
  for (const json& m : merges) {
    if (m.is_array()) {
      out.push_back(m);
      continue;
    }
    std::string s = m.get<std::string>();
    size_t sp = s.find(' ');
    out.push_back(json::array({s.substr(0, sp), s.substr(sp + 1)}));
  }
  return out;
}

TEST_CASE("llama3_bpe peer: Higgs tokenizer.json matches the peers on the corpus") {
  compare_with_peers("higgs_tokenizer.json", {"peer_higgs.json", "tiktoken_higgs.json"});
}

TEST_CASE("llama3_bpe peer: stock Llama-3 tokenizer.json matches the peers on the corpus") {
  // Here the Higgs-only special tokens (<SE>, <|AUDIO|>, ...) are plain text, which puts a lot
  // of punctuation-and-letter BPE through the comparison.
  compare_with_peers("llama3_tokenizer.json", {"peer_llama3.json", "tiktoken_llama3.json"});
}

TEST_CASE("llama3_bpe peer: Meta's tokenizer.model gives the ids of tokenizer.json") {
  require_setup();
  auto t0 = std::chrono::steady_clock::now();
  higgs::Llama3BpeTokenizer model(peer_dir() + "/tokenizer.model");
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("tokenizer.model (128,000 ranks) loaded in " << load_s << " s");
  higgs::Llama3BpeTokenizer from_json(peer_dir() + "/llama3_tokenizer.json");
  CHECK(model.vocab_size() == 128256);
  CHECK(model.vocab_size() == from_json.vocab_size());
  size_t differing = 0;
  for (int64_t id = 0; id < from_json.vocab_size(); ++id) {
    const std::string token = from_json.id_to_token(id);
    if (model.id_to_token(id) != token || model.token_to_id(token) != id) ++differing;
  }
  CHECK_MESSAGE(differing == 0, differing << " ids have another token in tokenizer.model");
  CHECK(model.identity() == higgs::fnv1a_hex(higgs::read_file(peer_dir() + "/tokenizer.model")));
  CHECK(model.identity() != from_json.identity());

  // On the corpus: the same ids as tokenizer.json (through llama3_bpe) and as tiktoken.
  auto lines = read_lines(peer_dir() + "/corpus.jsonl");
  REQUIRE(lines.size() >= 2000);
  size_t mismatches = 0;
  std::string first;
  for (size_t i = 0; i < lines.size(); ++i) {
    Ids a = model.encode(lines[i]), b = from_json.encode(lines[i]);
    if (a != b && mismatches++ == 0)
      first = "line " + std::to_string(i + 1) + ": " + json(lines[i]).dump() +
              "\n  tokenizer.model: " + show(a) + "\n  tokenizer.json:  " + show(b);
  }
  CHECK_MESSAGE(mismatches == 0, mismatches << " lines differ; first " << first);
  compare_with_peers("tokenizer.model", {"tiktoken_llama3.json"});

  // Meta's tokenizer.py (llama-models 0.3.0) names the special tokens as Llama 3.1+ does; it must
  // agree with Llama-3's list on the count, the ids and the tokens of the chat layout.
  json meta = read_json(peer_dir() + "/meta_specials.json");
  CHECK(meta["n_ranks"] == 128000);
  json specials = meta["special_tokens"];
  REQUIRE(specials.size() == 256);
  std::vector<std::string> renamed;
  for (const auto& [content, id] : specials.items()) {
    CHECK(id.get<int64_t>() >= 128000);
    CHECK(id.get<int64_t>() < 128256);
    if (model.id_to_token(id.get<int64_t>()) != content) renamed.push_back(content);
  }
  MESSAGE(renamed.size() << " of Meta's tokenizer.py special tokens are named otherwise in "
                            "Llama-3's list, e.g. "
                         << (renamed.empty() ? "" : renamed.front()));
  for (const char* chat : {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                           "<|end_header_id|>", "<|eot_id|>"}) {
    CAPTURE(chat);
    REQUIRE(specials.contains(chat));
    CHECK(model.token_to_id(chat) == specials[chat].get<int64_t>());
  }
}

TEST_CASE("llama3_bpe peer: converted tokenizer.json equals the real Llama-3 tokenizer.json") {
  require_setup();
  if (!std::filesystem::exists(reference_json())) {
    MESSAGE("skipped: no real Llama-3 tokenizer.json at "
            << reference_json()
            << " (../shared is absent); the converted one is still checked against the peers");
    return;
  }
  json real = read_json(peer_dir() + "/reference_llama3_tokenizer.json");
  json ours = read_json(peer_dir() + "/llama3_tokenizer.json");
  // Compared as bools: doctest would print both 9 MB values on a failure.
  CHECK(ours["model"]["vocab"].size() == 128000);
  const bool same_vocab = ours["model"]["vocab"] == real["model"]["vocab"];
  CHECK(same_vocab);
  const json ours_merges = merge_pairs(ours["model"]["merges"]);
  const json real_merges = merge_pairs(real["model"]["merges"]);
  CHECK(ours_merges.size() == real_merges.size());
  size_t first_diff = 0;
  while (first_diff < std::min(ours_merges.size(), real_merges.size()) &&
         ours_merges[first_diff] == real_merges[first_diff])
    ++first_diff;
  const bool same_merges = ours_merges == real_merges;
  CHECK_MESSAGE(same_merges, "merges differ from index " << first_diff);
  const bool same_added = ours["added_tokens"] == real["added_tokens"];
  CHECK_MESSAGE(same_added, "added_tokens differ");
  // Everything else too: pre-tokenizer regex, model flags (ignore_merges), decoder.
  for (json* j : {&ours, &real}) (*j)["model"].erase("merges");
  std::string differing;
  for (const auto& [key, value] : real.items())
    if (!ours.contains(key) || ours[key] != value) differing += " " + key;
  for (const auto& [key, value] : ours.items())
    if (!real.contains(key)) differing += " " + key;
  CHECK_MESSAGE(differing.empty(), "these fields differ:" << differing);
  // And llama3_bpe on the real file against Hugging Face tokenizers on the real file.
  compare_with_peers("reference_llama3_tokenizer.json", {"peer_reference.json"});
}

TEST_CASE("llama3_bpe peer: Higgs special tokens have the ids of tokenizer_config.json") {
  require_setup();
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

}  // namespace llama3_bpe_peer_test
