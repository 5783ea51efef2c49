// Batches from a dataset in a deterministic order, produced by background threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "framework/train/batch_plan.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"

namespace higgs {

struct LoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = true;
  bool drop_last = false;
  int64_t seed = 0;
  int64_t num_workers = 2;  // 0 = load on the calling thread
  int64_t prefetch = 4;     // batches ready ahead of the consumer
  int rank = 0, world_size = 1;
  // true (training): every rank gets n / world_size samples, so ranks step in lockstep and the
  // tail that does not divide is dropped; false (evaluation): rank r gets samples r, r + world,
  // ..., so the ranks together cover every sample once.
  bool even_shards = true;
  // Batches in page-locked host memory (made by the workers), so that copying them to a CUDA
  // device can overlap compute (non_blocking). Needs a CUDA device: the trainer sets it for one.
  bool pin_memory = false;
  std::string name = "train";  // for messages
  // This rank's batches of an epoch (a sampler's plan); unset: fixed-size batches of
  // batch_size from the seeded permutation (fixed_size_batches with the options above).
  std::function<BatchPlan(int64_t epoch)> plan;
};

/// Counts of samples seen and skipped, for the max_bad_fraction check and data-check.
struct SkipStats {
  int64_t seen = 0, skipped = 0;
};

/// The batches are the plan's (by default a permutation of the dataset seeded by (seed, epoch),
/// sharded by rank, cut into batches of batch_size); a bad sample (SampleError) is skipped with one
/// warning and counted. Batches come out in order whatever the thread timing, so a run can be
/// resumed at any batch.
class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Collator> collator,
             LoaderOptions opts);
  ~DataLoader();

  /// Batches of the current epoch (of epoch 0 before the first start_epoch).
  int64_t batches_per_epoch() const;
  /// The batches of `epoch` for this rank.
  BatchPlan plan_of(int64_t epoch) const;
  /// Starts producing the batches of `epoch`, beginning at batch `first_batch`.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  /// The next batch of the epoch, or nullopt at its end. Throws when the fraction of skipped
  /// samples passes the dataset's max_bad_fraction.
  std::optional<Batch> next();
  /// Index (within the epoch) of the batch next() returns next.
  int64_t position() const { return consumed_; }
  SkipStats stats() const;
  /// This rank's dataset indices of `epoch`, in order.
  std::vector<size_t> epoch_indices(int64_t epoch) const;

 private:
  std::optional<Batch> produce(int64_t batch_index);
  void stop_workers();
  void worker_loop();

  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Collator> collator_;
  LoaderOptions opts_;
  BatchPlan plan_;
  mutable std::optional<BatchPlan> cached_plan_;  // the sampler's plan of cached_epoch_
  mutable int64_t cached_epoch_ = -1;
  bool planned_ = false;
  int64_t epoch_ = 0;
  int64_t num_batches_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::optional<Batch>> ready_;
  std::map<int64_t, std::exception_ptr> errors_;
  int64_t next_to_produce_ = 0;
  int64_t consumed_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  SkipStats stats_;
};

}  // namespace higgs
