#include <torch/torch.h>

#include "framework/train/trainable.h"

#include <map>
#include <set>

#include <spdlog/spdlog.h>

namespace higgs {

ParameterList collect_trainable(Model& model,
                                const std::vector<std::shared_ptr<Adapter>>& adapters) {
  ParameterList out;
  std::set<const void*> seen;
  for (const auto& item : model.module().named_parameters(true)) {
    if (!item.value().requires_grad()) continue;
    if (seen.insert(item.value().unsafeGetTensorImpl()).second)
      out.push_back({item.key(), item.value()});
  }
  for (const auto& a : adapters)
    for (const auto& p : a->parameters())
      if (p.tensor.requires_grad() && seen.insert(p.tensor.unsafeGetTensorImpl()).second)
        out.push_back(p);
  return out;
}

std::vector<std::string> outside_adapters(const ParameterList& trained,
                                          const std::vector<std::shared_ptr<Adapter>>& adapters) {
  std::set<const void*> saved;
  for (const auto& a : adapters)
    for (const auto& p : a->parameters()) saved.insert(p.tensor.unsafeGetTensorImpl());
  std::vector<std::string> out;
  for (const auto& p : trained)
    if (!saved.count(p.tensor.unsafeGetTensorImpl())) out.push_back(p.name);
  return out;
}

std::string adapter_coverage_warning(const std::vector<std::string>& outside) {
  if (outside.empty()) return "";
  std::string list;
  for (size_t i = 0; i < outside.size() && i < 4; ++i) list += (i ? ", " : "") + outside[i];
  if (outside.size() > 4) list += ", ...";
  return std::to_string(outside.size()) + " trainable tensor(s) are not part of any adapter (" +
         list +
         "): the adapter-only final/ (and export --adapter-only) will not hold them. Every "
         "checkpoint-STEP/trainable.pt and the merged `higgs-run export RUN --out DIR` do. To ship "
         "them "
         "with the adapter, list their modules in the LoRA adapter's modules_to_save.";
}

void log_parameter_summary(Model& model) {
  std::map<std::string, std::pair<int64_t, int64_t>> groups;  // prefix -> (trainable, total)
  int64_t trainable = 0, total = 0;
  for (const auto& item : model.module().named_parameters(true)) {
    const std::string& name = item.key();
    // Group by the module path without the layer index: "layers.*.self_attn".
    std::string key;
    size_t dots = 0;
    for (size_t i = 0; i < name.size() && dots < 3; ++i) {
      if (name[i] == '.') ++dots;
      if (dots < 3) key += name[i];
    }
    int64_t n = item.value().numel();
    total += n;
    groups[key].second += n;
    if (item.value().requires_grad()) trainable += n, groups[key].first += n;
  }
  spdlog::info("parameters: {} trainable of {} ({:.2f}%)", trainable, total,
               total ? 100.0 * double(trainable) / double(total) : 0.0);
  for (const auto& [k, v] : groups)
    spdlog::debug("  {:<48} {:>12} trainable of {:>12}", k, v.first, v.second);
}

}  // namespace higgs
