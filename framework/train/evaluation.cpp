#include <torch/torch.h>

#include "framework/train/evaluation.h"

#include <spdlog/spdlog.h>

#include "framework/distributed/data_parallel.h"
#include "framework/train/loss_metrics.h"
#include "framework/util/autocast.h"

namespace higgs {

EvaluationResult evaluate_model(Model& model, std::shared_ptr<const Dataset> data,
                                std::shared_ptr<const Collator> collator,
                                const EvaluationOptions& opts, Communicator& comm) {
  LoaderOptions lo = opts.loader;
  lo.shuffle = false;
  lo.even_shards = false;
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
  while (auto batch = loader.next()) {
    acc.add(model.loss_terms(*batch));
    ++r.batches;
    bar.update(r.batches);
    r.samples += static_cast<int64_t>(batch->size());
    if (opts.max_batches > 0 && r.batches >= opts.max_batches) break;
  }
  bar.finish();
  if (!all_reduce_totals(comm, acc))
    spdlog::warn("{} metrics are rank 0's only: some rank had no batch", lo.name);
  r.metrics = acc.metrics(opts.prefix);
  r.skipped = loader.stats().skipped;
  return r;
}

}  // namespace higgs
