// The body of `higgs-run tokenize` on a tokenizer.json written here (ByteLevel with GPT-2's own
// regex, use_regex true, which also covers that pre-tokenizer form).
#include "components/text/tokenize_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "components/text/llama3_bpe.h"
#include "framework/config/diagnostics.h"
#include "framework/run/component_builder.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("higgs_tokcmd_" + std::to_string(::getpid()));
  Fixture() {
    fs::create_directories(dir);
    json vocab = json::object();
    for (int b = 0; b < 256; ++b) {
      // Only printable ASCII and space matter here; other bytes get placeholder names that
      // are never produced by this test's inputs.
      std::string name = (b >= 33 && b <= 126) ? std::string(1, static_cast<char>(b))
                                               : "<b" + std::to_string(b) + ">";
      if (b == 32) name = "Ġ";
      vocab[name] = b;
    }
    vocab["he"] = 256;
    vocab["Ġhe"] = 257;
    json tok = {{"added_tokens",
                 {{{"id", 300},
                   {"content", "<|eot_id|>"},
                   {"single_word", false},
                   {"lstrip", false},
                   {"rstrip", false},
                   {"normalized", false},
                   {"special", true}}}},
                {"normalizer", nullptr},
                {"pre_tokenizer",
                 {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
                {"decoder", {{"type", "ByteLevel"}}},
                {"model",
                 {{"type", "BPE"},
                  {"vocab", vocab},
                  {"merges", {"h e", "Ġ he"}},
                  {"ignore_merges", false}}}};
    std::ofstream(dir / "tokenizer.json") << tok.dump();
    std::ofstream(dir / "noext") << "  " << tok.dump();
    std::ofstream(dir / "lines.txt") << "he\n he he\n";
  }
  ~Fixture() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("tokenize command: text and json output") {
  Fixture f;
  std::ostringstream out, err;
  higgs::TokenizeCommandArgs a;
  a.tokenizer = f.dir.string();
  a.text = "he<|eot_id|> he";
  CHECK(higgs::run_tokenize_command(a, out, err) == 0);
  CHECK(out.str() ==
        "input: \"he<|eot_id|> he\"\ntokens: 3\n"
        "  256\t\"he\"\t\"he\"\n  300\t\"<|eot_id|>\"\t\"<|eot_id|>\"\n  257\t\"Ġhe\"\t\" he\"\n");

  out.str("");
  a.format = "json";
  CHECK(higgs::run_tokenize_command(a, out, err) == 0);
  CHECK(out.str() == "[256,300,257]\n");

  out.str("");
  a.text.clear();
  a.file = (f.dir / "lines.txt").string();
  a.tokenizer = (f.dir / "noext").string();  // sniffed as JSON
  CHECK(higgs::run_tokenize_command(a, out, err) == 0);
  CHECK(out.str() == "[256]\n[257,257]\n");
  CHECK(err.str().empty());
}

TEST_CASE("tokenize command: usage and input errors") {
  Fixture f;
  std::ostringstream out, err;
  higgs::TokenizeCommandArgs a;
  a.tokenizer = (f.dir / "tokenizer.json").string();
  CHECK(higgs::run_tokenize_command(a, out, err) == 2);  // neither text nor file
  a.text = "x";
  a.format = "yaml";
  CHECK(higgs::run_tokenize_command(a, out, err) == 2);
  a.format = "json";
  a.tokenizer = (f.dir / "missing.json").string();
  CHECK(higgs::run_tokenize_command(a, out, err) == 1);
  CHECK(err.str().find("missing.json") != std::string::npos);
  CHECK(out.str().empty());
  CHECK(dynamic_cast<higgs::Llama3BpeTokenizer*>(
            higgs::open_text_tokenizer((f.dir / "tokenizer.json").string()).get()) != nullptr);
}

TEST_CASE("text tokenizers build from recipe options through the registry") {
  Fixture f;
  const higgs::NoArgs none;
  const higgs::RegistryEntry* entry = higgs::registry("text_tokenizer").find("llama3_bpe");
  REQUIRE(entry != nullptr);

  higgs::Diagnostics missing;
  auto bound = entry->make_bound();
  const higgs::Json empty = higgs::Json::object();  // OptionReader keeps a reference
  higgs::OptionReader no_path(empty, "text_tokenizer", missing);
  bound.visit(no_path);
  no_path.finish();
  CHECK(missing.size() == 1);  // path is required

  higgs::Diagnostics diags;
  bound = entry->make_bound();
  higgs::Json node = {{"type", "llama3_bpe"}, {"path", f.dir.string()}};
  higgs::OptionReader reader(node, "text_tokenizer", diags);
  bound.visit(reader);
  reader.finish();
  REQUIRE(diags.empty());
  auto tok = std::static_pointer_cast<higgs::TextTokenizer>(bound.build(&none));
  CHECK(tok->encode("he<|eot_id|> he") == std::vector<int64_t>{256, 300, 257});

  const higgs::RegistryEntry* spm = higgs::registry("text_tokenizer").find("sentencepiece");
  REQUIRE(spm != nullptr);
  higgs::Diagnostics spm_diags;
  auto spm_bound = spm->make_bound();
  const higgs::Json spm_node = {{"path", "x.model"}, {"shim", "y.so"}, {"typo", 1}};
  higgs::OptionReader spm_reader(spm_node, "text_tokenizer", spm_diags);
  spm_bound.visit(spm_reader);
  spm_reader.finish();
  CHECK(spm_diags.size() == 1);  // only the unknown key "typo"
}
