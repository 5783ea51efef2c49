// One registry per component kind, defined once in the framework library and leaked on purpose.
//
// A component is a class with `struct Options`, a static `bind(Binder&, Options&)` and a
// constructor `T(const Options&)`, or `T(const Options&, const Base::Args&)` when it needs what its
// kind hands over at build time (the optimizer's parameters, the dataset's tokenizers: each kind's
// `Args` says what, and whoever builds the kind passes it; there is no lookup by name). It is
// registered from its own .cpp:
//
//   HIGGS_REGISTER(higgs::Optimizer, AdamW, "adamw", "AdamW with decoupled weight decay.");
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "framework/config/options.h"

namespace higgs {

/// A recipe key that holds components of a kind: one (`model`) or a list (`callbacks`), and the
/// type used when the key is absent ("" = the key is optional).
struct KindRecipeKey {
  std::string key;
  bool is_list = false;
  std::string default_type;
};

/// One kind of component: its name (the interface's kKind), what it is for, where `list` and
/// the recipe put it (lower first), and the recipe keys that hold it. The registry's kinds, the
/// recipe's component keys and the schemas are all derived from these declarations.
struct KindDeclaration {
  std::string kind, description;
  int order = 1000;
  std::vector<KindRecipeKey> recipe_keys;
};

/// Declares a kind; from a static initialiser beside its interface (HIGGS_DECLARE_KIND) or from a
/// plugin, which may so add kinds of its own. Declaring a kind twice, or a recipe key another
/// kind declared, is recorded in registry_errors(). Returns whether it was taken.
bool declare_kind(KindDeclaration declaration);
/// The declared kinds, by order then name.
std::vector<KindDeclaration> declared_kinds();
/// Their names, in that order (`list` prints them so).
std::vector<std::string> component_kinds();
/// One-line description of a kind ("" when undeclared).
std::string kind_description(const std::string& kind);

struct RecipePlan;
class Diagnostics;

/// The creator arguments of a kind with none (no `Args` member).
struct NoArgs {};
template <class Base, class = void>
struct kind_args {
  using type = NoArgs;
};
template <class Base>
struct kind_args<Base, std::void_t<typename Base::Args>> {
  using type = typename Base::Args;
};
/// What a component of kind Base is built from, besides its options: `Base::Args`, or NoArgs.
template <class Base>
using kind_args_t = typename kind_args<Base>::type;

/// A config a component declares before it is built, with the file it comes from (for messages).
struct DeclaredConfig {
  Json config;
  std::string source;
};

/// A component whose options are bound to a fresh Options object.
struct BoundComponent {
  std::function<void(Binder&)> visit;  // visits the Options fields
  /// Constructs it (maybe heavy) from its kind's Args (a `const kind_args_t<Base>*`; the
  /// ComponentBuilder checks the kind before it calls this).
  std::function<std::shared_ptr<void>(const void* args)> build;
  /// What the component says about itself before it is built, e.g. a model's config.json (so
  /// data-check can check lengths without loading weights). Set when the class has
  /// `static std::optional<DeclaredConfig> declared_config(const Options&)`.
  std::function<std::optional<DeclaredConfig>()> declared_config;
  /// Checks that need the rest of the recipe, reported with the option errors (nothing loaded).
  /// Set when the class has `static void check_plan(const Options&, const RecipePlan&,
  /// const std::string& path, Diagnostics&)`.
  std::function<void(const RecipePlan&, const std::string&, Diagnostics&)> check;
};

template <class T, class = void>
struct has_check_plan : std::false_type {};
template <class T>
struct has_check_plan<
    T, std::void_t<decltype(T::check_plan(
           std::declval<const typename T::Options&>(), std::declval<const RecipePlan&>(),
           std::declval<const std::string&>(), std::declval<Diagnostics&>()))>> : std::true_type {};
template <class T, class = void>
struct has_declared_config : std::false_type {};
template <class T>
struct has_declared_config<
    T, std::void_t<decltype(T::declared_config(std::declval<const typename T::Options&>()))>>
    : std::true_type {};
/// Any accessible member named check_plan, to refuse one of the wrong shape at compile time.
template <class T, class = void>
struct has_any_check_plan : std::false_type {};
template <class T>
struct has_any_check_plan<T, std::void_t<decltype(&T::check_plan)>> : std::true_type {};

/// How to make one registered component.
struct RegistryEntry {
  std::string kind, name, description;
  std::string origin;                          // source file or plugin path
  std::function<BoundComponent()> make_bound;  // fresh default Options + closures
};

/// Registered components of one kind.
class KindRegistry {
 public:
  explicit KindRegistry(std::string kind) : kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }
  /// Adds an entry; a duplicate name is recorded in registry_errors() naming both origins.
  bool add(RegistryEntry entry);
  const RegistryEntry* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::map<std::string, RegistryEntry>& entries() const { return entries_; }

 private:
  std::string kind_;
  std::map<std::string, RegistryEntry> entries_;
};

/// The registry of a kind (must be one of component_kinds()).
KindRegistry& registry(const std::string& kind);
/// Problems found while registering (duplicates, components of a kind nobody declared). Checked
/// by the CLI at start.
std::vector<std::string>& registry_errors();

/// While a plugin registers, entries record this origin instead of their source file.
void set_registration_origin_override(const std::string& origin);

template <class Base, class T>
bool register_component(const char* name, const char* description, const char* file) {
  static_assert(!has_any_check_plan<T>::value || has_check_plan<T>::value,
                "check_plan must be `static void check_plan(const Options&, const RecipePlan&, "
                "const std::string& path, Diagnostics&)`");
  RegistryEntry e;
  e.kind = Base::kKind;
  e.name = name;
  e.description = description;
  e.origin = file;
  e.make_bound = [] {
    auto opts = std::make_shared<typename T::Options>();
    BoundComponent b;
    b.visit = [opts](Binder& binder) { T::bind(binder, *opts); };
    b.build = [opts](const void* args) -> std::shared_ptr<void> {
      using Args = kind_args_t<Base>;
      std::shared_ptr<Base> obj;
      if constexpr (std::is_constructible_v<T, const typename T::Options&, const Args&>) {
        obj = std::make_shared<T>(*opts, *static_cast<const Args*>(args));
      } else {
        static_assert(std::is_constructible_v<T, const typename T::Options&>,
                      "a component is constructed from (const Options&) or "
                      "(const Options&, const Base::Args&)");
        obj = std::make_shared<T>(*opts);
      }
      return std::static_pointer_cast<void>(obj);
    };
    if constexpr (has_declared_config<T>::value)
      b.declared_config = [opts]() -> std::optional<DeclaredConfig> {
        return T::declared_config(*opts);
      };
    if constexpr (has_check_plan<T>::value)
      b.check = [opts](const RecipePlan& plan, const std::string& path, Diagnostics& diags) {
        T::check_plan(*opts, plan, path, diags);
      };
    return b;
  };
  return registry(Base::kKind).add(std::move(e));
}

/// Describes the options of a registered component (fields, defaults, docs).
struct ComponentDescription {
  const RegistryEntry* entry = nullptr;
  std::vector<FieldInfo> fields;
  std::vector<Json> defaults;
  std::vector<std::string> types;
};
ComponentDescription describe_component(const RegistryEntry& entry);

/// JSON Schema (draft 2020-12) of one component's recipe object.
Json component_schema(const RegistryEntry& entry);

}  // namespace higgs

#define HIGGS_CAT_INNER(a, b) a##b
#define HIGGS_CAT(a, b) HIGGS_CAT_INNER(a, b)
/// Registers component class TYPE of kind BASE under NAME. Use once per component .cpp.
#define HIGGS_REGISTER(BASE, TYPE, NAME, DESCRIPTION)                            \
  [[maybe_unused]] static const bool HIGGS_CAT(higgs_registered_, __COUNTER__) = \
      ::higgs::register_component<BASE, TYPE>(NAME, DESCRIPTION, __FILE__)

/// Declares the kind of interface BASE (its kKind), e.g.
///   HIGGS_DECLARE_KIND(higgs::Optimizer, 90, "Updates trainable parameters.", {"optimizer"});
/// ORDER places it in `list` and in the recipe; the rest are its recipe keys (KindRecipeKey).
#define HIGGS_DECLARE_KIND(BASE, ORDER, DESCRIPTION, ...)                           \
  [[maybe_unused]] static const bool HIGGS_CAT(higgs_declared_kind_, __COUNTER__) = \
      ::higgs::declare_kind(                                                        \
          ::higgs::KindDeclaration{BASE::kKind, DESCRIPTION, ORDER, {__VA_ARGS__}})
