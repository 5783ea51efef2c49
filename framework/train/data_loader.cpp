#include "framework/train/data_loader.h"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

namespace higgs {

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset,
                       std::shared_ptr<const Collator> collator, LoaderOptions opts)
    : dataset_(std::move(dataset)), collator_(std::move(collator)), opts_(std::move(opts)) {
  if (opts_.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
}

DataLoader::~DataLoader() { stop_workers(); }

std::vector<size_t> DataLoader::epoch_indices(int64_t epoch) const {
  size_t n = dataset_->size();
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  if (opts_.shuffle) {
    // A 64-bit Mersenne twister seeded from (seed, epoch): identical on every platform.
    std::mt19937_64 rng(static_cast<uint64_t>(opts_.seed) * 1000003ULL +
                        static_cast<uint64_t>(epoch));
    for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
  }
  // Rank r takes every world_size-th sample from r: a global batch is a contiguous run of the
  // permutation, the same samples one process with a world_size times larger batch would take.
  size_t per_rank = shard_size();
  std::vector<size_t> mine;
  mine.reserve(per_rank);
  for (size_t i = 0; i < per_rank; ++i) mine.push_back(idx[i * opts_.world_size + opts_.rank]);
  return mine;
}

size_t DataLoader::shard_size() const {
  size_t n = dataset_->size(), w = static_cast<size_t>(opts_.world_size);
  size_t r = static_cast<size_t>(opts_.rank);
  if (opts_.even_shards) return n / w;  // the same on every rank: the tail is dropped
  return r < n ? (n - r + w - 1) / w : 0;
}

int64_t DataLoader::batches_per_epoch() const {
  int64_t n = static_cast<int64_t>(shard_size());
  return opts_.drop_last ? n / opts_.batch_size : (n + opts_.batch_size - 1) / opts_.batch_size;
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
  order_ = epoch_indices(epoch);
  num_batches_ = batches_per_epoch();
  ready_.clear();
  errors_.clear();
  next_to_produce_ = first_batch;
  consumed_ = first_batch;
  for (int64_t i = 0; i < opts_.num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

std::optional<Batch> DataLoader::produce(int64_t batch_index) {
  size_t begin = static_cast<size_t>(batch_index * opts_.batch_size);
  size_t end = std::min(order_.size(), begin + static_cast<size_t>(opts_.batch_size));
  std::vector<Example> examples;
  int64_t skipped = 0;
  for (size_t i = begin; i < end; ++i) {
    try {
      examples.push_back(dataset_->get(order_[i]));
    } catch (const SampleError& e) {
      ++skipped;
      spdlog::warn("{}: skipping {}: {}", opts_.name, e.source(), e.reason());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.seen += static_cast<int64_t>(end - begin);
    stats_.skipped += skipped;
  }
  if (examples.empty()) return std::nullopt;
  Batch batch = collator_->collate(examples);
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
