#include <torch/torch.h>

#include "framework/train/evaluation.h"

#include <cmath>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "framework/distributed/data_parallel.h"
#include "framework/train/dataset.h"
#include "framework/train/loss_metrics.h"
#include "framework/util/autocast.h"

namespace higgs {

EvaluationResult evaluate_model(Model& model, std::shared_ptr<const Dataset> data,
                                std::shared_ptr<const Collator> collator,
                                const EvaluationOptions& opts, Communicator& comm) {
  LoaderOptions lo = opts.loader;
  lo.shuffle = false;
  lo.even_shards = false;
  // Every example once, in dataset order, each batch of one label set: a batch's loss then
  // counts towards each of its labels' metrics (eval/language/de/loss, eval/dataset/NAME/loss).
  const Dataset& dataset = *data;
  std::vector<std::string> label_names;  // every label of the dataset, the same on every rank
  {
    std::set<std::string> all;
    for (size_t i = 0; i < dataset.size(); ++i)
      for (auto& l : dataset.labels(i)) all.insert(std::move(l));
    label_names.assign(all.begin(), all.end());
  }
  if (!label_names.empty()) {
    lo.plan = [&dataset, lo](int64_t) {
      auto key = [&dataset](size_t i) {
        std::string k;
        for (const auto& l : dataset.labels(i)) k += l + "\n";
        return k;
      };
      return grouped_batches(dataset.size(), key, lo.batch_size, lo.rank, lo.world_size);
    };
  }
  DataLoader loader(std::move(data), std::move(collator), lo);
  loader.start_epoch(0);
  LossAccumulator acc;
  EvaluationResult r;
  torch::NoGradGuard no_grad;
  const bool was_training = model.module().is_training();
  model.module().eval();
  struct RestoreMode {  // training mode comes back even when a batch throws
    Model& m;
    bool training;
    ~RestoreMode() {
      if (training) m.module().train();
    }
  } restore{model, was_training};
  at::DeviceType device = at::kCPU;
  for (const auto& p : model.module().parameters()) {
    device = p.device().type();
    break;
  }
  Bf16Autocast autocast(device, opts.bf16);
  ProgressBar::Options bar_options = opts.progress;
  bar_options.total = opts.max_batches > 0 ? std::min(opts.max_batches, loader.batches_per_epoch())
                                           : loader.batches_per_epoch();
  ProgressBar bar(bar_options);
  std::map<std::string, LossAccumulator> by_label;
  while (auto batch = loader.next()) {
    const auto terms = model.loss_terms(*batch);
    acc.add(terms);
    if (!label_names.empty())
      for (const auto& l : dataset.labels(batch->indices.front())) by_label[l].add(terms);
    ++r.batches;
    bar.update(r.batches);
    r.samples += static_cast<int64_t>(batch->size());
    if (opts.max_batches > 0 && r.batches >= opts.max_batches) break;
  }
  bar.finish();
  if (!all_reduce_totals(comm, acc))
    spdlog::warn("{} metrics are rank 0's only: some rank had no batch", lo.name);
  r.metrics = acc.metrics(opts.prefix);
  // Per label, in the same order on every rank; a rank without a label's batches adds zeros.
  LossAccumulator zeros = acc;
  auto zero_totals = zeros.totals();
  for (auto& [name, v] : zero_totals) v = {0.0, 0.0, 0.0};
  zeros.set_totals(zero_totals);
  for (const auto& label : label_names) {
    auto it = by_label.find(label);
    LossAccumulator part = it == by_label.end() ? zeros : it->second;
    if (!all_reduce_totals(comm, part)) continue;  // warned above
    if (part.totals().empty()) continue;
    Json m = part.metrics(opts.prefix + label + "/");
    for (auto kv = m.begin(); kv != m.end(); ++kv)
      if (kv.value().is_number() && std::isfinite(kv.value().get<double>()))
        r.metrics[kv.key()] = kv.value();
  }
  r.skipped = loader.stats().skipped;
  return r;
}

}  // namespace higgs
