// What a run trains: the parameters that require gradients once adapters are attached and
// freezing applied, and what an adapter-only save leaves out of them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/adapter.h"

namespace higgs {

/// The model's parameters that require gradients, then the adapters' (each tensor once, in
/// module order).
ParameterList collect_trainable(Model& model,
                                const std::vector<std::shared_ptr<Adapter>>& adapters);

/// Logs trainable and total parameter counts (per module group at debug level).
void log_parameter_summary(Model& model);

/// The names of `trained` that no adapter saves (neither adapter weights nor its
/// modules_to_save): an adapter-only save (final/, export --adapter-only) leaves them out.
std::vector<std::string> outside_adapters(const ParameterList& trained,
                                          const std::vector<std::shared_ptr<Adapter>>& adapters);
/// The warning for those parameters ("" when there are none), naming a few and what to do.
std::string adapter_coverage_warning(const std::vector<std::string>& outside);

}  // namespace higgs
