#include "framework/registry/plugin.h"

#include <dlfcn.h>

#include <stdexcept>

namespace higgs {

void load_plugin(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle) {
    throw std::runtime_error("plugin " + path + ": cannot load: " + dlerror() +
                             "\n  check the path and that the plugin was built against this "
                             "higgs-train (find_package(HiggsTrain))");
  }
  using Entry = int (*)(int);
  auto entry = reinterpret_cast<Entry>(dlsym(handle, HIGGS_PLUGIN_ENTRY_SYMBOL));
  if (!entry) {
    throw std::runtime_error("plugin " + path +
                             ": no entry point \"" HIGGS_PLUGIN_ENTRY_SYMBOL
                             "\"; define it with HIGGS_PLUGIN_ENTRY() from "
                             "framework/registry/plugin.h");
  }
  size_t errors_before = registry_errors().size();
  set_registration_origin_override("plugin " + path);
  int version = entry(HIGGS_PLUGIN_API_VERSION);
  set_registration_origin_override("");
  if (version != HIGGS_PLUGIN_API_VERSION) {
    throw std::runtime_error("plugin " + path + ": built for plugin API version " +
                             std::to_string(version) + ", but this higgs-run provides version " +
                             std::to_string(HIGGS_PLUGIN_API_VERSION) +
                             "; rebuild the plugin against this installation");
  }
  if (registry_errors().size() > errors_before) {
    std::string msg = "plugin " + path + ": registration failed:";
    for (size_t i = errors_before; i < registry_errors().size(); ++i)
      msg += "\n  " + registry_errors()[i];
    registry_errors().resize(errors_before);
    throw std::runtime_error(msg);
  }
}

}  // namespace higgs
