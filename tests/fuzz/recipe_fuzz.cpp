// libFuzzer target for recipe loading (framework/config): YAML recipes through load_recipe (a
// temporary .yaml file), JSON trees, --set overrides, provenance, flattening and the strict
// option reader with every option type. Jsonnet evaluation itself is libjsonnet's and is not
// fuzzed here (a Jsonnet program may legitimately loop for ever).
// Input: the recipe text, then optionally a line "\n--set\n" followed by one override per line.
// The first byte picks YAML (even) or JSON (odd).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "framework/config/config.h"
#include "framework/config/options.h"

namespace {

struct AllTypes {
  bool b = false;
  int i = 1;
  int64_t i64 = 2;
  double d = 0.5;
  std::string s = "x";
  std::string c = "mean";
  std::vector<std::string> vs;
  std::vector<int64_t> vi;
  std::vector<double> vd;
  std::optional<int64_t> oi;
  std::optional<double> od;
  std::optional<std::string> os;
  higgs::Json any;
  static void bind(higgs::Binder& b, AllTypes& o) {
    b.opt("b", o.b, "bool");
    b.opt("i", o.i, "int").min(-5).max(5);
    b.opt("i64", o.i64, "int64").min(0);
    b.opt("d", o.d, "double").min(0.0).max(1.0);
    b.req("s", o.s, "required string");
    b.choice("c", o.c, {"mean", "sum"}, "choice");
    b.opt("vs", o.vs, "strings");
    b.opt("vi", o.vi, "ints");
    b.opt("vd", o.vd, "doubles");
    b.opt("oi", o.oi, "optional int");
    b.opt("od", o.od, "optional double").min(0.0);
    b.opt("os", o.os, "optional string");
    b.opt("any", o.any, "anything");
  }
};

void read_options(const higgs::Json& node, const std::string& path, higgs::Diagnostics& d,
                  int depth) {
  if (depth > 4) return;
  if (node.is_object()) {
    AllTypes o;
    higgs::OptionReader r(node, path, d);
    AllTypes::bind(r, o);
    r.finish();
    higgs::OptionWriter w;
    AllTypes::bind(w, o);
    w.finish();
    for (auto it = node.begin(); it != node.end(); ++it)
      read_options(it.value(), higgs::join_path(path, it.key()), d, depth + 1);
  } else if (node.is_array()) {
    for (size_t k = 0; k < node.size() && k < 8; ++k)
      read_options(node[k], higgs::index_path(path, k), d, depth + 1);
  }
}

std::string temp_yaml() {
  static std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/higgs_recipe_fuzz." +
           std::to_string(getpid()) + ".yaml";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool json = data[0] & 1;
  std::string all(reinterpret_cast<const char*>(data + 1), size - 1);
  higgs::LoadOptions lo;
  std::string text = all;
  auto cut = all.find("\n--set\n");
  if (cut != std::string::npos) {
    text = all.substr(0, cut);
    std::string rest = all.substr(cut + 7);
    size_t pos = 0;
    while (pos <= rest.size() && lo.sets.size() < 16) {
      size_t nl = rest.find('\n', pos);
      if (nl == std::string::npos) nl = rest.size();
      lo.sets.push_back(rest.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  higgs::Config cfg;
  try {
    if (json) {
      higgs::Json root = higgs::Json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (root.is_discarded() || !root.is_object()) return 0;
      cfg = higgs::Config(std::move(root), "fuzz.json");
      higgs::Diagnostics d;
      for (const auto& s : lo.sets) cfg.apply_override(s, d);
    } else {
      FILE* f = std::fopen(temp_yaml().c_str(), "wb");
      if (!f) std::abort();
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
      cfg = higgs::load_recipe(temp_yaml(), lo);
    }
  } catch (const higgs::RecipeError&) {
    return 0;
  }
  for (const auto& [path, leaf] : higgs::flatten(cfg.root())) (void)cfg.provenance(path);
  higgs::Diagnostics d;
  read_options(cfg.root(), "", d, 0);
  try {
    d.throw_if_any("fuzz");
  } catch (const higgs::RecipeError& e) {
    if (e.items().size() != d.size()) std::abort();
  }
  return 0;
}
