#include "components/chatml/chatml.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace higgs {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& where, const std::string& field,
                       const std::string& what) {
  throw ChatMLError(where + ": " + (field.empty() ? "" : field + ": ") + what);
}

std::string type_of(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

void check_keys(const Json& obj, const std::set<std::string>& allowed, const std::string& where,
                const std::string& field) {
  for (const auto& [key, value] : obj.items()) {
    if (allowed.count(key)) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(where, field, "unknown key \"" + key + "\" (allowed: " + list + ")");
  }
}

std::optional<double> opt_number(const Json& obj, const char* key, const std::string& where,
                                 const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) fail(where, field + "." + key, "must be a number, got " + type_of(*it));
  double v = it->get<double>();
  if (!(v >= 0)) fail(where, field + "." + key, "must be >= 0");
  return v;
}

std::optional<std::string> opt_string(const Json& obj, const char* key, const std::string& where,
                                      const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) fail(where, field + "." + key, "must be a string, got " + type_of(*it));
  return it->get<std::string>();
}

std::string resolve_audio(const std::string& url, const std::string& base_dir) {
  if (url.empty() || url == "placeholder") return "";
  fs::path p(url);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (fs::path(base_dir) / p).lexically_normal().string();
}

ChatMLContent parse_content_item(const Json& j, const std::string& where, const std::string& field,
                                 const std::string& base_dir) {
  if (j.is_string()) return ChatMLContent::make_text(j.get<std::string>());
  if (!j.is_object())
    fail(where, field, "content must be a string, an object or a list of those, got " + type_of(j));
  std::string type;
  auto t = j.find("type");
  if (t != j.end()) {
    if (!t->is_string()) fail(where, field + ".type", "must be a string, got " + type_of(*t));
    type = t->get<std::string>();
  } else if (j.contains("text")) {
    type = "text";
  } else if (j.contains("audio_url") || j.contains("raw_audio")) {
    type = "audio";
  } else {
    fail(where, field, "content object has no \"type\" (expected \"text\" or \"audio\")");
  }
  if (type == "text") {
    check_keys(j, {"type", "text"}, where, field);
    auto it = j.find("text");
    if (it == j.end()) fail(where, field, "text content has no \"text\"");
    if (!it->is_string()) fail(where, field + ".text", "must be a string, got " + type_of(*it));
    return ChatMLContent::make_text(it->get<std::string>());
  }
  if (type == "audio") {
    check_keys(j, {"type", "audio_url", "raw_audio", "offset", "duration", "row_id"}, where, field);
    ChatMLContent c;
    c.type = ChatMLContent::Type::kAudio;
    c.raw_audio = opt_string(j, "raw_audio", where, field);
    auto url = opt_string(j, "audio_url", where, field);
    if (!url && !c.raw_audio)
      fail(where, field, "audio content needs \"audio_url\" or \"raw_audio\"");
    c.audio_url = url.value_or("");
    c.audio_path = resolve_audio(c.audio_url, base_dir);
    c.offset = opt_number(j, "offset", where, field);
    c.duration = opt_number(j, "duration", where, field);
    auto r = j.find("row_id");
    if (r != j.end() && !r->is_null()) {
      if (!r->is_number_integer()) fail(where, field + ".row_id", "must be an integer");
      c.row_id = r->get<int64_t>();
    }
    return c;
  }
  fail(where, field + ".type",
       "unknown content type \"" + type + "\" (expected \"text\" or \"audio\")");
}

ChatMLMessage parse_message(const Json& j, const std::string& where, const std::string& field,
                            const std::string& base_dir) {
  if (!j.is_object()) fail(where, field, "a message must be an object, got " + type_of(j));
  check_keys(j, {"role", "content", "recipient"}, where, field);
  ChatMLMessage m;
  auto role = j.find("role");
  if (role == j.end()) fail(where, field, "message has no \"role\"");
  if (!role->is_string()) fail(where, field + ".role", "must be a string, got " + type_of(*role));
  m.role = role->get<std::string>();
  if (m.role.empty()) fail(where, field + ".role", "is empty");
  auto content = j.find("content");
  if (content == j.end()) fail(where, field, "message has no \"content\"");
  if (content->is_array()) {
    for (size_t i = 0; i < content->size(); ++i)
      m.content.push_back(parse_content_item(
          (*content)[i], where, field + ".content[" + std::to_string(i) + "]", base_dir));
  } else {
    m.content.push_back(parse_content_item(*content, where, field + ".content", base_dir));
  }
  m.recipient = opt_string(j, "recipient", where, field);
  if (m.recipient && m.recipient->empty()) m.recipient.reset();  // "" is falsy in the reference
  if (m.recipient && m.role != "assistant")
    fail(where, field + ".recipient", "only assistant messages may have a recipient");
  return m;
}

// Line (1-based) where each element of a top-level JSON array starts.
std::vector<size_t> array_element_lines(const std::string& text) {
  std::vector<size_t> lines;
  size_t line = 1;
  int depth = 0;
  bool in_string = false, escape = false, expect_element = false;
  for (char ch : text) {
    if (ch == '\n') ++line;
    if (in_string) {
      if (escape)
        escape = false;
      else if (ch == '\\')
        escape = true;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(ch))) continue;
    if (depth == 1 && expect_element && ch != ']') {
      lines.push_back(line);
      expect_element = false;
    }
    if (ch == '"')
      in_string = true;
    else if (ch == '[' || ch == '{') {
      ++depth;
      if (depth == 1) expect_element = true;
    } else if (ch == ']' || ch == '}')
      --depth;
    else if (ch == ',' && depth == 1)
      expect_element = true;
  }
  return lines;
}

std::string parse_error_text(const Json::parse_error& e, const std::string& text,
                             size_t base_line) {
  size_t line = base_line;
  for (size_t i = 0; i < e.byte && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  std::string msg = e.what();
  auto pos = msg.find("parse error");
  return std::to_string(line) +
         ": invalid JSON: " + (pos == std::string::npos ? msg : msg.substr(pos));
}

}  // namespace

ChatMLContent ChatMLContent::make_text(std::string text) {
  ChatMLContent c;
  c.text = std::move(text);
  return c;
}

ChatMLContent ChatMLContent::make_audio(std::string url, std::string resolved_path) {
  ChatMLContent c;
  c.type = Type::kAudio;
  c.audio_url = std::move(url);
  c.audio_path = resolved_path.empty() ? resolve_audio(c.audio_url, "") : std::move(resolved_path);
  return c;
}

ChatMLSample parse_chatml_sample(const Json& j, const std::string& where,
                                 const std::string& base_dir) {
  if (!j.is_object()) fail(where, "", "a sample must be a JSON object, got " + type_of(j));
  ChatMLSample s;
  s.source = where;
  // Like the reference (which keeps only the dataclass fields), other top-level keys are ignored.
  auto msgs = j.find("messages");
  if (msgs == j.end()) fail(where, "", "sample has no \"messages\"");
  if (!msgs->is_array()) fail(where, "messages", "must be a list, got " + type_of(*msgs));
  if (msgs->empty()) fail(where, "messages", "is empty");
  for (size_t i = 0; i < msgs->size(); ++i)
    s.messages.push_back(
        parse_message((*msgs)[i], where, "messages[" + std::to_string(i) + "]", base_dir));
  auto si = j.find("start_index");
  if (si != j.end() && !si->is_null()) {
    if (!si->is_number()) fail(where, "start_index", "must be an integer, got " + type_of(*si));
    double v = si->get<double>();
    if (v != std::floor(v) || v < 0) fail(where, "start_index", "must be a non-negative integer");
    s.start_index = static_cast<int64_t>(v);
  }
  s.speaker = opt_string(j, "speaker", where, "");
  auto misc = j.find("misc");
  if (misc != j.end() && !misc->is_null()) {
    if (!misc->is_object()) fail(where, "misc", "must be an object, got " + type_of(*misc));
    s.misc = *misc;
  }
  s.language = opt_string(j, "language", where, "");
  if (!s.language && s.misc.is_object()) {
    auto lang = s.misc.find("language");
    if (lang != s.misc.end()) {
      if (!lang->is_string())
        fail(where, "misc.language", "must be a string (a language code such as \"de\")");
      s.language = lang->get<std::string>();
    }
  }
  if (s.language && s.language->empty())
    fail(where, "language", "is empty; give a language code such as \"de\" or leave it out");
  return s;
}

std::vector<ChatMLSample> parse_chatml_text(const std::string& text, const std::string& name,
                                            const std::string& base_dir, bool jsonl) {
  std::vector<ChatMLSample> out;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw ChatMLError(name + ": the file is empty");
  if (text[first] == '[' || !jsonl) {
    Json root;
    try {
      root = Json::parse(text);
    } catch (const Json::parse_error& e) {
      // A .json file holding one object per line is JSONL under another name.
      if (text[first] != '{') throw ChatMLError(name + ":" + parse_error_text(e, text, 1));
      return parse_chatml_text(text, name, base_dir, true);
    } catch (const Json::exception& e) {  // e.g. out_of_range: a number beyond a double
      throw ChatMLError(name + ": invalid JSON: " + e.what() + "; fix the file");
    }
    if (root.is_object()) {
      out.push_back(parse_chatml_sample(root, name + ":1", base_dir));
      return out;
    }
    if (!root.is_array())
      throw ChatMLError(name + ": expected a JSON array of samples, got " + type_of(root));
    auto lines = array_element_lines(text);
    for (size_t i = 0; i < root.size(); ++i) {
      std::string where = name + ":" +
                          (lines.size() == root.size() ? std::to_string(lines[i]) : "?") +
                          " (sample " + std::to_string(i) + ")";
      out.push_back(parse_chatml_sample(root[i], where, base_dir));
    }
    return out;
  }
  std::istringstream in(text);
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::parse_error& e) {
      throw ChatMLError(name + ":" + parse_error_text(e, line, n));
    } catch (const Json::exception& e) {  // e.g. out_of_range: a number beyond a double
      throw ChatMLError(name + ":" + std::to_string(n) + ": invalid JSON: " + e.what() +
                        "; fix the line");
    }
    out.push_back(parse_chatml_sample(
        j, name + ":" + std::to_string(n) + " (sample " + std::to_string(out.size()) + ")",
        base_dir));
  }
  return out;
}

std::vector<ChatMLSample> load_chatml_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ChatMLError(path + ": cannot open the ChatML file");
  std::stringstream ss;
  ss << f.rdbuf();
  fs::path p(path);
  std::string ext = p.extension().string();
  bool jsonl = ext == ".jsonl" || ext == ".ndjson";
  return parse_chatml_text(ss.str(), path, fs::absolute(p).parent_path().string(), jsonl);
}

Json chatml_to_json(const ChatMLSample& s) {
  Json msgs = Json::array();
  for (const auto& m : s.messages) {
    Json content = Json::array();
    for (const auto& c : m.content) {
      if (c.is_text()) {
        content.push_back({{"type", "text"}, {"text", c.text}});
        continue;
      }
      Json a = {{"type", "audio"}, {"audio_url", c.audio_url}};
      if (c.raw_audio) a["raw_audio"] = *c.raw_audio;
      if (c.offset) a["offset"] = *c.offset;
      if (c.duration) a["duration"] = *c.duration;
      if (c.row_id) a["row_id"] = *c.row_id;
      content.push_back(std::move(a));
    }
    Json jm = {{"role", m.role}, {"content", std::move(content)}};
    if (m.recipient) jm["recipient"] = *m.recipient;
    msgs.push_back(std::move(jm));
  }
  Json out = {{"messages", std::move(msgs)}};
  if (s.start_index) out["start_index"] = *s.start_index;
  if (s.speaker) out["speaker"] = *s.speaker;
  if (s.language && !(s.misc.is_object() && s.misc.value("language", "") == *s.language))
    out["language"] = *s.language;
  if (!s.misc.is_null()) out["misc"] = s.misc;
  return out;
}

}  // namespace higgs
