#include "components/text/tokenize_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/text/llama3_bpe.h"
#include "components/text/sentencepiece.h"
#include "framework/run/component_builder.h"
#include "framework/run/runner.h"

namespace higgs {

namespace fs = std::filesystem;

std::shared_ptr<TextTokenizer> open_text_tokenizer(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) {
    if (fs::is_regular_file(p / "tokenizer.json"))
      return std::make_shared<Llama3BpeTokenizer>((p / "tokenizer.json").string());
    if (fs::is_regular_file(p / "tokenizer.model"))
      return std::make_shared<SentencePieceTokenizer>((p / "tokenizer.model").string());
    throw std::runtime_error(path + ": directory has neither tokenizer.json nor tokenizer.model");
  }
  if (!fs::is_regular_file(p)) throw std::runtime_error(path + ": no such tokenizer file");
  std::string ext = p.extension().string();
  if (ext == ".json") return std::make_shared<Llama3BpeTokenizer>(path);
  if (ext == ".model") return std::make_shared<SentencePieceTokenizer>(path);
  // No telling extension: a tokenizer.json is a JSON object, a .model a protobuf.
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  if (c == '{') return std::make_shared<Llama3BpeTokenizer>(path);
  return std::make_shared<SentencePieceTokenizer>(path);
}

bool is_recipe_path(const std::string& path) {
  fs::path p(path);
  if (!fs::is_regular_file(p)) return false;
  const std::string ext = p.extension().string();
  if (ext == ".jsonnet" || ext == ".libsonnet" || ext == ".yaml" || ext == ".yml") return true;
  if (ext != ".json") return false;
  // A tokenizer.json is a JSON object too: only the text_tokenizer key tells a recipe apart.
  std::ifstream in(path);
  Json j = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("text_tokenizer");
}

std::shared_ptr<TextTokenizer> open_recipe_text_tokenizer(const std::string& recipe,
                                                          const LoadOptions& load) {
  RecipeArgs ra;
  ra.recipe = recipe;
  ra.load = load;
  RecipePlan plan = load_plan(ra, /*check_task=*/false);
  ComponentBuilder components(plan);
  if (!components.has("text_tokenizer"))
    throw std::runtime_error(recipe + ": the recipe has no text_tokenizer key");
  return components.build<TextTokenizer>("text_tokenizer");
}

namespace {

std::string quoted(const std::string& s) {
  // Single byte-level tokens may be partial UTF-8; show those bytes as U+FFFD.
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_text(const TextTokenizer& tok, const std::string& input, std::ostream& out) {
  std::vector<int64_t> ids = tok.encode(input);
  out << "input: " << quoted(input) << "\n";
  out << "tokens: " << ids.size() << "\n";
  for (int64_t id : ids)
    out << "  " << id << "\t" << quoted(tok.id_to_token(id)) << "\t" << quoted(tok.decode({id}))
        << "\n";
}

void print_json(const TextTokenizer& tok, const std::string& input, std::ostream& out) {
  out << nlohmann::json(tok.encode(input)).dump() << "\n";
}

}  // namespace

int run_tokenize_command(const TokenizeCommandArgs& args, std::ostream& out, std::ostream& err) {
  if (args.tokenizer.empty()) {
    err << "tokenize: give the tokenizer (a tokenizer.json, a directory holding one, or a "
           "sentencepiece .model)\n";
    return 2;
  }
  if (args.text.empty() == args.file.empty()) {
    err << "tokenize: give either a text or --file (one input per line), not both\n";
    return 2;
  }
  if (args.format != "text" && args.format != "json") {
    err << "tokenize: unknown format \"" << args.format << "\" (use text or json)\n";
    return 2;
  }
  auto print = args.format == "json" ? print_json : print_text;
  try {
    auto tok = is_recipe_path(args.tokenizer)
                   ? open_recipe_text_tokenizer(args.tokenizer, args.load)
                   : open_text_tokenizer(args.tokenizer);
    if (args.file.empty()) {
      print(*tok, args.text, out);
      return 0;
    }
    std::ifstream in(args.file);
    if (!in) {
      err << "tokenize: cannot read " << args.file << "\n";
      return 1;
    }
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      try {
        print(*tok, line, out);
      } catch (const std::exception& e) {
        err << "tokenize: " << args.file << ":" << n << ": " << e.what() << "\n";
        return 1;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    err << "tokenize: " << e.what() << "\n";
    return 1;
  }
}

int run_tokenize_command(const TokenizeCommandArgs& args) {
  return run_tokenize_command(args, std::cout, std::cerr);
}

}  // namespace higgs
