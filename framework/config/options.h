// Declaring component options once: the same binding function reads a recipe node strictly,
// writes the resolved values back, and describes every option for `describe` and JSON Schema.
//
//   struct Options { double lr = 1e-3; std::string reduction = "mean"; };
//   static void bind(Binder& b, Options& o) {
//     b.opt("lr", o.lr, "Peak learning rate.").min(0.0);
//     b.choice("reduction", o.reduction, {"mean", "sum"}, "How codebook losses combine.");
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "framework/config/config.h"

namespace higgs {

/// A reference to one option's storage.
using ValueRef =
    std::variant<bool*, int*, int64_t*, double*, std::string*, std::vector<std::string>*,
                 std::vector<int64_t>*, std::vector<double>*, std::optional<int64_t>*,
                 std::optional<double>*, std::optional<std::string>*, Json*>;

/// Everything declared about one option.
struct FieldInfo {
  std::string key;
  std::string doc;
  bool required = false;
  std::vector<std::string> choices;  // allowed strings, when not empty
  std::optional<double> min, max;    // inclusive numeric bounds
  // The command-line flag of a task option, when not "--" + the key with dashes (a boolean that
  // defaults to true is "--no-KEY" unless named here: "no-cache").
  std::string flag;
  bool cli_path = false;  // a path given on the command line is made absolute (the recipe's
                          // folder is not the caller's)
};

/// JSON-Schema-like type name of an option ("number", "integer", "string", "array<string>", ...).
std::string type_name(const ValueRef& v);
/// The current value of an option as JSON (null for an empty optional).
Json value_to_json(const ValueRef& v);

class Binder;

/// Returned by Binder::opt so bounds can be chained: b.opt("lr", o.lr, "...").min(0).
class FieldHandle {
 public:
  FieldHandle(Binder* b, size_t index) : b_(b), index_(index) {}
  FieldHandle& min(double v);
  FieldHandle& max(double v);
  /// Names the option's command-line flag (without "--"): b.opt("use_cache", ...).flag("no-cache").
  FieldHandle& flag(const char* name);
  /// A relative path given as a command-line flag is made absolute against the caller's folder.
  FieldHandle& cli_path();

 private:
  Binder* b_;
  size_t index_;
};

/// Visits the options of a component. Subclasses read, write or describe them.
class Binder {
 public:
  virtual ~Binder() = default;

  template <class T>
  FieldHandle opt(const char* key, T& value, const char* doc) {
    return add(FieldInfo{key, doc}, ValueRef(&value));
  }
  template <class T>
  FieldHandle req(const char* key, T& value, const char* doc) {
    FieldInfo f{key, doc};
    f.required = true;
    return add(std::move(f), ValueRef(&value));
  }
  FieldHandle choice(const char* key, std::string& value, std::vector<std::string> choices,
                     const char* doc) {
    FieldInfo f{key, doc};
    f.choices = std::move(choices);
    return add(std::move(f), ValueRef(&value));
  }

  /// Call once after the binding function returned: visits the last option and runs checks
  /// such as unknown keys. Binding functions only declare; values are read lazily.
  void finish() {
    flush_pending();
    on_finish();
  }

  std::vector<FieldInfo> fields;
  std::vector<ValueRef> refs;

 protected:
  /// Called for each declared option, after bounds are attached by finish().
  virtual void on_field(const FieldInfo& info, ValueRef ref) = 0;
  virtual void on_finish() {}

 private:
  FieldHandle add(FieldInfo info, ValueRef ref);
  friend class FieldHandle;
  void flush_pending();
  std::optional<size_t> pending_;
};

/// Reads options from a recipe object strictly: wrong types, out-of-range values, missing
/// required options and unknown keys (with a did-you-mean) become diagnostics under `path`.
class OptionReader : public Binder {
 public:
  /// `node` must be an object; `ignored` keys (e.g. "type") are consumed by the caller.
  OptionReader(const Json& node, std::string path, Diagnostics& diags,
               std::set<std::string> ignored = {"type"});

 protected:
  void on_finish() override;
  void on_field(const FieldInfo& info, ValueRef ref) override;

 private:
  const Json& node_;
  std::string path_;
  Diagnostics& diags_;
  std::set<std::string> consumed_;
};

/// Writes the current option values into a JSON object (the resolved recipe).
class OptionWriter : public Binder {
 public:
  Json out = Json::object();

 protected:
  void on_field(const FieldInfo& info, ValueRef ref) override;
};

/// Records fields, types and defaults without touching any value.
class OptionDescriber : public Binder {
 protected:
  void on_field(const FieldInfo&, ValueRef) override {}
};

/// JSON Schema (draft 2020-12) for one option.
Json field_schema(const FieldInfo& info, const ValueRef& ref);

}  // namespace higgs
