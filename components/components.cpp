// Anchor of the built-in component library; each component registers itself from its own file.
namespace higgs {
const char* builtin_components_library() { return "higgs_components"; }
}  // namespace higgs
