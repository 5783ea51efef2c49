#include "framework/train/data_loader.h"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

namespace higgs {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       std::shared_ptr<const Collator> collator, LoaderOptions opts)
    : dataset_(std::move(dataset)), collator_(std::move(collator)), opts_(std::move(opts)) {
  if (!opts_.plan && opts_.batch_size < 1)
    throw std::invalid_argument("batch_size must be at least 1");
}

DataLoader::~DataLoader() { stop_workers(); }

BatchPlan DataLoader::plan_of(int64_t epoch) const {
  if (opts_.plan) {
    // A sampler's plan may be costly (lengths of every example): made once per epoch.
    std::lock_guard<std::mutex> lock(mu_);
    if (!cached_plan_ || cached_epoch_ != epoch) {
      cached_plan_ = opts_.plan(epoch);
      cached_epoch_ = epoch;
    }
    return *cached_plan_;
  }
  return fixed_size_batches(epoch_permutation(dataset_->size(), opts_.seed, epoch, opts_.shuffle),
                            opts_.batch_size, opts_.rank, opts_.world_size, opts_.even_shards,
                            opts_.drop_last);
}

std::vector<size_t> DataLoader::epoch_indices(int64_t epoch) const {
  std::vector<size_t> mine;
  for (const auto& batch : plan_of(epoch)) mine.insert(mine.end(), batch.begin(), batch.end());
  return mine;
}

int64_t DataLoader::batches_per_epoch() const {
  return planned_ ? num_batches_ : static_cast<int64_t>(plan_of(0).size());
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stopping_ = false;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  stop_workers();
  plan_ = plan_of(epoch);
  planned_ = true;
  epoch_ = epoch;
  num_batches_ = static_cast<int64_t>(plan_.size());
  ready_.clear();
  errors_.clear();
  next_to_produce_ = first_batch;
  consumed_ = first_batch;
  for (int64_t i = 0; i < opts_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

std::optional<Batch> DataLoader::produce(int64_t batch_index) {
  const std::vector<size_t>& planned = plan_[static_cast<size_t>(batch_index)];
  std::vector<Example> examples;
  std::vector<size_t> indices;
  int64_t skipped = 0;
  for (size_t index : planned) {
    try {
      examples.push_back(dataset_->get(index, epoch_));
      indices.push_back(index);
    } catch (const SampleError& e) {
      ++skipped;
      spdlog::warn("{}: skipping {}: {}", opts_.name, e.source(), e.reason());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.seen += static_cast<int64_t>(planned.size());
    stats_.skipped += skipped;
  }
  if (examples.empty()) return std::nullopt;
  Batch batch = collator_->collate(examples);
  batch.indices = std::move(indices);
  if (opts_.pin_memory)
    for (auto& [name, t] : batch.tensors)
      if (t.defined() && t.is_cpu() && !t.is_pinned()) t = t.pin_memory();
  return batch;
}

void DataLoader::worker_loop() {
  while (true) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || next_to_produce_ >= num_batches_ ||
               next_to_produce_ < consumed_ + opts_.prefetch;
      });
      if (stopping_ || next_to_produce_ >= num_batches_) return;
      b = next_to_produce_++;
    }
    std::optional<Batch> batch;
    std::exception_ptr err;
    try {
      batch = produce(b);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (err) errors_[b] = err;
      ready_[b] = std::move(batch);
    }
    cv_.notify_all();
  }
}

std::optional<Batch> DataLoader::next() {
  while (consumed_ < num_batches_) {
    int64_t b = consumed_;
    std::optional<Batch> batch;
    if (opts_.num_workers == 0) {
      batch = produce(b);
    } else {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return ready_.count(b) > 0; });
      if (errors_.count(b)) std::rethrow_exception(errors_[b]);
      batch = std::move(ready_[b]);
      ready_.erase(b);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++consumed_;
    }
    cv_.notify_all();
    SkipStats s = stats();
    double limit = dataset_->max_bad_fraction() * static_cast<double>(dataset_->size());
    if (static_cast<double>(s.skipped) > limit)
      throw std::runtime_error(opts_.name + " data: " + std::to_string(s.skipped) + " of " +
                               std::to_string(s.seen) +
                               " samples seen so far could not be loaded, " +
                               "more than max_bad_fraction allows; fix the data or raise " +
                               "max_bad_fraction (see the warnings above)");
    if (batch) return batch;
  }
  return std::nullopt;
}

SkipStats DataLoader::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace higgs
