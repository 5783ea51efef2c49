// Plugins: shared libraries that register components into the host's registries.
//
// A plugin defines its entry point once, and registers inside it:
//
//   #include "framework/registry/plugin.h"
//   HIGGS_PLUGIN_ENTRY() {
//     higgs::register_component<higgs::Callback, MyCallback>("my_callback", "...", __FILE__);
//   }
//
// and is loaded with `higgs-run --plugin libmy_plugin.so RECIPE`.
#pragma once

#include <string>

#include "framework/registry/registry.h"

/// Bumped whenever a framework interface a plugin can see changes incompatibly.
#define HIGGS_PLUGIN_API_VERSION 1
#define HIGGS_PLUGIN_ENTRY_SYMBOL "higgs_train_plugin_entry"

namespace higgs {

/// Loads a plugin and runs its entry point. Throws std::runtime_error naming the file and what
/// to do when it cannot be opened, has no entry point, or was built for another API version.
void load_plugin(const std::string& path);

}  // namespace higgs

/// Defines the plugin's versioned entry point; the body that follows registers components.
#define HIGGS_PLUGIN_ENTRY()                                                           \
  static void higgs_plugin_register_components();                                      \
  extern "C" __attribute__((visibility("default"))) int higgs_train_plugin_entry(      \
      int host_api_version) {                                                          \
    if (host_api_version != HIGGS_PLUGIN_API_VERSION) return HIGGS_PLUGIN_API_VERSION; \
    higgs_plugin_register_components();                                                \
    return HIGGS_PLUGIN_API_VERSION;                                                   \
  }                                                                                    \
  static void higgs_plugin_register_components()
