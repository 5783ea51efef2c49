#include "framework/config/options.h"

#include <cmath>
#include <sstream>

namespace higgs {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

std::string describe_json(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return std::string(j.type_name()) + " " + s;
}

bool as_integer(const Json& j, int64_t& out) {
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return true;
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e15) {
      out = static_cast<int64_t>(d);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string type_name(const ValueRef& v) {
  return std::visit(
      overloaded{[](bool*) { return std::string("boolean"); },
                 [](int*) { return std::string("integer"); },
                 [](int64_t*) { return std::string("integer"); },
                 [](double*) { return std::string("number"); },
                 [](std::string*) { return std::string("string"); },
                 [](std::vector<std::string>*) { return std::string("array<string>"); },
                 [](std::vector<int64_t>*) { return std::string("array<integer>"); },
                 [](std::vector<double>*) { return std::string("array<number>"); },
                 [](std::optional<int64_t>*) { return std::string("integer|null"); },
                 [](std::optional<double>*) { return std::string("number|null"); },
                 [](std::optional<std::string>*) { return std::string("string|null"); },
                 [](Json*) { return std::string("any"); }},
      v);
}

Json value_to_json(const ValueRef& v) {
  return std::visit(
      [](auto* p) -> Json {
        using T = std::decay_t<decltype(*p)>;
        if constexpr (std::is_same_v<T, std::optional<int64_t>> ||
                      std::is_same_v<T, std::optional<double>> ||
                      std::is_same_v<T, std::optional<std::string>>) {
          return p->has_value() ? Json(**p) : Json(nullptr);
        } else {
          return Json(*p);
        }
      },
      v);
}

FieldHandle& FieldHandle::min(double v) {
  b_->fields[index_].min = v;
  return *this;
}
FieldHandle& FieldHandle::max(double v) {
  b_->fields[index_].max = v;
  return *this;
}
FieldHandle& FieldHandle::flag(const char* name) {
  b_->fields[index_].flag = name;
  return *this;
}
FieldHandle& FieldHandle::cli_path() {
  b_->fields[index_].cli_path = true;
  return *this;
}

FieldHandle Binder::add(FieldInfo info, ValueRef ref) {
  // Bounds are chained after add() returns, so a field is visited when the next one is added
  // or at finish().
  flush_pending();
  fields.push_back(std::move(info));
  refs.push_back(ref);
  pending_ = fields.size() - 1;
  return FieldHandle(this, fields.size() - 1);
}

void Binder::flush_pending() {
  if (pending_) {
    size_t i = *pending_;
    pending_.reset();
    on_field(fields[i], refs[i]);
  }
}

// ---- OptionReader ----

OptionReader::OptionReader(const Json& node, std::string path, Diagnostics& diags,
                           std::set<std::string> ignored)
    : node_(node), path_(std::move(path)), diags_(diags), consumed_(std::move(ignored)) {}

void OptionReader::on_field(const FieldInfo& info, ValueRef ref) {
  consumed_.insert(info.key);
  std::string path = join_path(path_, info.key);
  if (!node_.is_object() || !node_.contains(info.key) || node_.at(info.key).is_null()) {
    bool is_optional = std::holds_alternative<std::optional<int64_t>*>(ref) ||
                       std::holds_alternative<std::optional<double>*>(ref) ||
                       std::holds_alternative<std::optional<std::string>*>(ref) ||
                       std::holds_alternative<Json*>(ref);
    if (info.required) {
      diags_.error(path, "missing required option (" + info.doc + ")");
    } else if (node_.is_object() && node_.contains(info.key) && !is_optional) {
      diags_.error(path, "null is not allowed here; expected " + type_name(ref) +
                             " (remove the key to use the default " + value_to_json(ref).dump() +
                             ")");
    }
    return;
  }
  const Json& j = node_.at(info.key);
  auto bad = [&](const std::string& expected) {
    diags_.error(path, "expected " + expected + ", got " + describe_json(j));
  };
  auto check_range = [&](double x) {
    if (info.min && x < *info.min) {
      std::ostringstream os;
      os << "value " << x << " is below the minimum " << *info.min;
      diags_.error(path, os.str());
    }
    if (info.max && x > *info.max) {
      std::ostringstream os;
      os << "value " << x << " is above the maximum " << *info.max;
      diags_.error(path, os.str());
    }
  };
  std::visit(
      overloaded{
          [&](bool* p) { j.is_boolean() ? void(*p = j.get<bool>()) : bad("a boolean"); },
          [&](int* p) {
            int64_t v;
            if (!as_integer(j, v)) return bad("an integer");
            *p = static_cast<int>(v);
            check_range(double(v));
          },
          [&](int64_t* p) {
            int64_t v;
            if (!as_integer(j, v)) return bad("an integer");
            *p = v;
            check_range(double(v));
          },
          [&](double* p) {
            if (!j.is_number()) return bad("a number");
            *p = j.get<double>();
            check_range(*p);
          },
          [&](std::string* p) {
            if (!j.is_string()) return bad("a string");
            *p = j.get<std::string>();
            if (!info.choices.empty() &&
                std::find(info.choices.begin(), info.choices.end(), *p) == info.choices.end()) {
              std::string list;
              for (const auto& c : info.choices) list += (list.empty() ? "" : ", ") + c;
              diags_.error(path, "\"" + *p + "\" is not one of: " + list +
                                     suggestion_suffix(*p, info.choices));
            }
          },
          [&](std::vector<std::string>* p) {
            if (!j.is_array()) return bad("a list of strings");
            p->clear();
            for (size_t i = 0; i < j.size(); ++i) {
              if (!j[i].is_string()) {
                diags_.error(index_path(path, i), "expected a string, got " + describe_json(j[i]));
                continue;
              }
              p->push_back(j[i].get<std::string>());
            }
          },
          [&](std::vector<int64_t>* p) {
            if (!j.is_array()) return bad("a list of integers");
            p->clear();
            for (size_t i = 0; i < j.size(); ++i) {
              int64_t v;
              if (!as_integer(j[i], v)) {
                diags_.error(index_path(path, i),
                             "expected an integer, got " + describe_json(j[i]));
                continue;
              }
              p->push_back(v);
            }
          },
          [&](std::vector<double>* p) {
            if (!j.is_array()) return bad("a list of numbers");
            p->clear();
            for (size_t i = 0; i < j.size(); ++i) {
              if (!j[i].is_number()) {
                diags_.error(index_path(path, i), "expected a number, got " + describe_json(j[i]));
                continue;
              }
              p->push_back(j[i].get<double>());
            }
          },
          [&](std::optional<int64_t>* p) {
            int64_t v;
            if (!as_integer(j, v)) return bad("an integer or null");
            *p = v;
            check_range(double(v));
          },
          [&](std::optional<double>* p) {
            if (!j.is_number()) return bad("a number or null");
            *p = j.get<double>();
            check_range(**p);
          },
          [&](std::optional<std::string>* p) {
            if (!j.is_string()) return bad("a string or null");
            *p = j.get<std::string>();
          },
          [&](Json* p) { *p = j; }},
      ref);
}

void OptionReader::on_finish() {
  if (!node_.is_object()) return;
  // Keys consumed by the caller are valid spellings too.
  std::vector<std::string> known(consumed_.begin(), consumed_.end());
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (consumed_.count(it.key())) continue;
    diags_.error(join_path(path_, it.key()),
                 "unknown key \"" + it.key() + "\"" + suggestion_suffix(it.key(), known));
  }
}

// ---- OptionWriter ----

void OptionWriter::on_field(const FieldInfo& info, ValueRef ref) {
  out[info.key] = value_to_json(ref);
}

// ---- Schema ----

Json field_schema(const FieldInfo& info, const ValueRef& ref) {
  Json s = Json::object();
  auto numeric = [&](Json& t) {
    if (info.min) t["minimum"] = *info.min;
    if (info.max) t["maximum"] = *info.max;
  };
  std::visit(overloaded{[&](bool*) { s["type"] = "boolean"; },
                        [&](int*) { s["type"] = "integer", numeric(s); },
                        [&](int64_t*) { s["type"] = "integer", numeric(s); },
                        [&](double*) { s["type"] = "number", numeric(s); },
                        [&](std::string*) {
                          s["type"] = "string";
                          if (!info.choices.empty()) s["enum"] = info.choices;
                        },
                        [&](std::vector<std::string>*) {
                          s["type"] = "array", s["items"] = {{"type", "string"}};
                        },
                        [&](std::vector<int64_t>*) {
                          s["type"] = "array", s["items"] = {{"type", "integer"}};
                        },
                        [&](std::vector<double>*) {
                          s["type"] = "array", s["items"] = {{"type", "number"}};
                        },
                        [&](std::optional<int64_t>*) {
                          s["type"] = Json::array({"integer", "null"}), numeric(s);
                        },
                        [&](std::optional<double>*) {
                          s["type"] = Json::array({"number", "null"}), numeric(s);
                        },
                        [&](std::optional<std::string>*) {
                          s["type"] = Json::array({"string", "null"});
                        },
                        [&](Json*) {}},
             ref);
  s["description"] = info.doc;
  if (!info.required) s["default"] = value_to_json(ref);
  return s;
}

}  // namespace higgs
