#include "framework/config/config.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "framework/config/jsonnet_eval.h"

namespace fs = std::filesystem;

namespace higgs {

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::kDefault:
      return "default";
    case Origin::kRecipe:
      return "recipe";
    case Origin::kOverride:
      return "override";
  }
  return "?";
}

Config::Config(Json root, std::string source)
    : root_(std::move(root)), source_(std::move(source)) {}

Provenance Config::provenance(const std::string& path) const {
  // The most specific mark on the path or an ancestor wins.
  std::string p = path;
  while (true) {
    auto it = marks_.find(p);
    if (it != marks_.end()) return it->second;
    auto cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p = p.substr(0, cut);
  }
  return {Origin::kRecipe, source_};
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '.' || c == '[' || c == ']') {
      if (!cur.empty()) parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

// True when `s` is well-formed UTF-8 (JSON text must be; nlohmann refuses to write anything else).
static bool valid_utf8(const std::string& s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

static bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

void Config::apply_override(const std::string& assignment, Diagnostics& diags) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    diags.error("--set " + assignment, "expected KEY=VALUE, e.g. --set optimizer.lr=0.001");
    return;
  }
  std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
  if (!valid_utf8(assignment)) {
    diags.error("--set", "--set " +
                             Json(assignment).dump(-1, ' ', false, Json::error_handler_t::replace) +
                             ": not valid UTF-8 text");
    return;
  }
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = text;
  auto parts = split_path(key);
  Json* node = &root_;
  std::string path;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    bool last = i + 1 == parts.size();
    if (node->is_array()) {
      if (!is_index(part) || std::stoul(part) >= node->size()) {
        diags.error(key, "--set " + assignment + ": " + (path.empty() ? "the recipe" : path) +
                             " is a list of " + std::to_string(node->size()) +
                             " items; use an index from 0 to " +
                             std::to_string(node->size() ? node->size() - 1 : 0));
        return;
      }
      path = index_path(path, std::stoul(part));
      node = &(*node)[std::stoul(part)];
    } else {
      if (node->is_null()) *node = Json::object();
      if (!node->is_object()) {
        diags.error(key, "--set " + assignment + ": " + path + " is a " +
                             std::string(node->type_name()) + ", not an object");
        return;
      }
      path = join_path(path, part);
      if (!last && !node->contains(part)) (*node)[part] = Json::object();
      node = &(*node)[part];
    }
  }
  *node = value;
  overrides_[path] = value;
  marks_[path] = {Origin::kOverride, "--set " + assignment};
}

std::vector<std::pair<std::string, Json>> flatten(const Json& tree, const std::string& prefix) {
  std::vector<std::pair<std::string, Json>> out;
  if (tree.is_object() && !tree.empty()) {
    for (auto it = tree.begin(); it != tree.end(); ++it) {
      auto sub = flatten(it.value(), join_path(prefix, it.key()));
      out.insert(out.end(), sub.begin(), sub.end());
    }
  } else if (tree.is_array() && !tree.empty()) {
    for (size_t i = 0; i < tree.size(); ++i) {
      auto sub = flatten(tree[i], index_path(prefix, i));
      out.insert(out.end(), sub.begin(), sub.end());
    }
  } else {
    out.emplace_back(prefix, tree);
  }
  return out;
}

// ---- YAML ----

static std::string checked_utf8(const YAML::Node& n, const std::string& s) {
  if (!valid_utf8(s))
    throw YAML::ParserException(n.Mark(), "not valid UTF-8 text; save the recipe as UTF-8");
  return s;
}

static Json yaml_scalar(const YAML::Node& n) {
  const std::string& s = checked_utf8(n, n.Scalar());
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // Integers and floats per the YAML 1.2 core schema.
  Json num = Json::parse(s, nullptr, false);
  if (!num.is_discarded() && num.is_number()) return num;
  if (s == ".inf" || s == "+.inf") return std::numeric_limits<double>::infinity();
  if (s == "-.inf") return -std::numeric_limits<double>::infinity();
  // YAML allows "1e-5" and "+1"; nlohmann rejects a leading '+'.
  if ((s[0] == '+') && s.size() > 1) {
    Json n2 = Json::parse(s.substr(1), nullptr, false);
    if (!n2.is_discarded() && n2.is_number()) return n2;
  }
  return s;
}

// A YAML alias shares its anchor's node, so `a: &x {b: *x}` is a cycle and a chain of anchors each
// listing the previous one several times ("billion laughs") expands exponentially. Both are
// refused with the line of the offending node instead of overflowing the stack or memory.
constexpr size_t kMaxYamlValues = 1000000;

struct YamlWalk {
  std::vector<YAML::Node> ancestors;
  size_t values = 0;

  Json node(const YAML::Node& n) {
    if (++values > kMaxYamlValues)
      throw YAML::ParserException(n.Mark(), "aliases expand to more than " +
                                                std::to_string(kMaxYamlValues) +
                                                " values; a recipe should not need that many");
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        return yaml_scalar(n);
      case YAML::NodeType::Sequence:
      case YAML::NodeType::Map:
        break;
    }
    for (const auto& a : ancestors)
      if (a.is(n))
        throw YAML::ParserException(n.Mark(),
                                    "an alias refers to a node that contains it (a cycle); "
                                    "copy the values instead of aliasing the enclosing block");
    ancestors.push_back(n);
    Json out;
    if (n.IsSequence()) {
      out = Json::array();
      for (const auto& item : n) out.push_back(node(item));
    } else {
      out = Json::object();
      for (const auto& kv : n)
        out[checked_utf8(kv.first, kv.first.as<std::string>())] = node(kv.second);
    }
    ancestors.pop_back();
    return out;
  }
};

Json yaml_to_json(const std::string& text, const std::string& source) {
  try {
    return YamlWalk{}.node(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    throw RecipeError(source + ": invalid YAML at line " + std::to_string(e.mark.line + 1) +
                      ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

// ---- Jsonnet ----

std::vector<std::string> default_import_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("HIGGS_JSONNET_PATH")) {
    std::stringstream ss(env);
    std::string d;
    while (std::getline(ss, d, ':'))
      if (!d.empty()) dirs.push_back(d);
  }
  // An installed higgs-run (PREFIX/bin) uses the recipes `cmake --install` put in
  // PREFIX/share/higgs-train/recipes; a build tree's uses the source tree's.
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path shipped =
      ec ? fs::path() : exe.parent_path().parent_path() / "share" / "higgs-train" / "recipes";
#ifdef HIGGS_RECIPES_DIR
  if (shipped.empty() || !fs::is_directory(shipped, ec)) shipped = HIGGS_RECIPES_DIR;
#endif
  if (!shipped.empty() && fs::is_directory(shipped, ec)) {
    dirs.push_back(shipped.string());
    dirs.push_back((shipped / "lib").string());
  }
  return dirs;
}

static std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Config load_recipe(const std::string& path, const LoadOptions& opts) {
  if (!fs::exists(path)) throw RecipeError(path + ": recipe file not found");
  if (fs::is_directory(path)) throw RecipeError(path + ": is a directory, expected a recipe file");
  std::string ext = fs::path(path).extension().string();
  Json root;
  if (ext == ".yaml" || ext == ".yml") {
    if (!opts.ext_str.empty() || !opts.ext_code.empty() || !opts.tla_str.empty() ||
        !opts.tla_code.empty())
      throw RecipeError(path +
                        ": --ext-*/--tla-* apply to Jsonnet recipes only; use --set with YAML");
    root = yaml_to_json(read_file(path), path);
  } else {
    // Imports resolve relative to the importing file first; then these directories. Only files
    // inside the recipe's folder and these directories may be read (jsonnet_eval.h).
    JsonnetInputs in;
    in.import_dirs = opts.jpath;
    for (const auto& d : default_import_dirs()) in.import_dirs.push_back(d);
    in.ext_str = opts.ext_str;
    in.ext_code = opts.ext_code;
    in.tla_str = opts.tla_str;
    in.tla_code = opts.tla_code;
    const std::string out = evaluate_jsonnet_recipe(path, in);
    root = Json::parse(out);
  }
  if (!root.is_object())
    throw RecipeError(path + ": a recipe must evaluate to an object, got " +
                      std::string(root.type_name()));
  Config cfg(std::move(root), path);
  Diagnostics diags;
  for (const auto& s : opts.sets) cfg.apply_override(s, diags);
  diags.throw_if_any(path);
  return cfg;
}

}  // namespace higgs
