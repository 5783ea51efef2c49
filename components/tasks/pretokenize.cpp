// Task `pretokenize`: encodes every audio file of train_data and eval_data into the code cache, so
// that training never waits on the audio tokenizer. Files already cached are skipped, so an
// interrupted run continues where it stopped (entries are written atomically: a crash leaves no
// partial entry under a final name).
//
//   higgs-run pretokenize RECIPE          (same as: higgs-run RECIPE --set task=pretokenize)
//   task: { type: 'pretokenize', workers: 4, threads_per_worker: 1 }
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "components/chatml/chatml_dataset.h"
#include "components/tasks/recipe_parts.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/mixed_dataset.h"
#include "framework/util/progress_bar.h"

namespace higgs {
namespace {

/// One distinct audio item to encode.
struct Item {
  const ChatMLDataset* ds = nullptr;
  ChatMLDataset::AudioRef ref;
  int64_t variant = -1;  // >= 0: that augmented variant of a reference clip
};

struct Totals {
  int64_t hits = 0, encoded = 0, duplicates = 0;
  double hit_seconds = 0, encoded_seconds = 0;
  std::vector<std::pair<std::string, std::string>> failed;  // where, reason
};

class PretokenizeTask : public Task {
 public:
  struct Options {
    int64_t workers = 0;
    int64_t threads_per_worker = 1;
    int64_t batch_size = 1;
    bool progress_bar = true;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("workers", o.workers,
          "Threads encoding files; 0 = the recipe's threads / threads_per_worker.")
        .min(0);
    b.opt("threads_per_worker", o.threads_per_worker, "Torch threads of each worker.").min(1);
    b.opt("batch_size", o.batch_size,
          "Files a worker encodes together (encode_batch; on CPU higgs_audio encodes one at a "
          "time anyway).")
        .min(1);
    b.opt("progress_bar", o.progress_bar,
          "Show progress: a bar on a terminal, a line every 30 s otherwise.");
  }
  explicit PretokenizeTask(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override {
    return {"train_data|train_mix", "audio_tokenizer"};
  }

  int run(TaskContext& ctx) override {
    RecipeParts parts(ctx);
    std::vector<Item> items = collect(parts);
    int64_t workers = o_.workers > 0
                          ? o_.workers
                          : std::max<int64_t>(1, at::get_num_threads() / o_.threads_per_worker);
    workers = std::min<int64_t>(workers, std::max<size_t>(1, items.size()));
    spdlog::info("pretokenize: {} audio files, {} workers x {} threads", items.size(), workers,
                 o_.threads_per_worker);
    auto start = std::chrono::steady_clock::now();
    Totals t = encode_all(items, static_cast<int>(workers));
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report(items.size(), t, wall);
    return t.failed.empty() ? 0 : 1;
  }

 private:
  // The ChatML datasets of a split: the one dataset, or each of its mix (named by recipe path).
  static std::vector<std::pair<std::string, std::shared_ptr<ChatMLDataset>>> chatml_members(
      RecipeParts& parts, const std::string& split) {
    std::vector<std::pair<std::string, std::shared_ptr<Dataset>>> all;
    auto ds = parts.dataset(split);
    if (auto mixed = std::dynamic_pointer_cast<MixedDataset>(ds)) {
      for (const auto& m : mixed->members())
        all.push_back({split + " (" + m.name + ")", m.dataset});
    } else {
      all.push_back({split, ds});
    }
    std::vector<std::pair<std::string, std::shared_ptr<ChatMLDataset>>> out;
    for (const auto& [name, d] : all) {
      auto chatml = std::dynamic_pointer_cast<ChatMLDataset>(d);
      if (!chatml)
        throw std::runtime_error(name +
                                 " is not a ChatML dataset: pretokenize has no audio to encode");
      out.push_back({name, chatml});
    }
    return out;
  }

  // Every distinct audio item of the recipe's datasets (by cache folder and file slice).
  std::vector<Item> collect(RecipeParts& parts) {
    std::vector<Item> items;
    std::set<std::string> seen;
    for (const std::string split : {"train_data", "eval_data"}) {
      if (!parts.has_dataset(split)) continue;
      size_t before = items.size();
      for (const auto& [name, member] : chatml_members(parts, split)) {
        const auto& ds = member;
        if (!ds->code_cache().enabled())
          throw std::runtime_error(name +
                                   ".code_cache_dir is \"none\": pretokenize writes codes to the "
                                   "code cache; set a directory or leave it \"\"");
        datasets_.push_back(ds);
        for (auto& ref : ds->audio_refs()) {
          const ChatMLContent& a = ref.audio;
          std::string id =
              ds->code_cache().dir() + "\n" +
              (a.audio_path.empty() ? "raw:" + a.raw_audio.value_or("") : a.audio_path) + "\n" +
              std::to_string(a.offset.value_or(0.0)) + "\n" +
              std::to_string(a.duration.value_or(0.0));
          // A reference of augmented training data: its variants too (an epoch draws one).
          const int64_t variants = ref.reference ? ds->reference_variants() : 0;
          for (int64_t v = 0; v < variants; ++v)
            if (seen.insert(id + "\nvariant " + std::to_string(v)).second)
              items.push_back({ds.get(), ref, v});
          if (seen.insert(id).second) items.push_back({ds.get(), std::move(ref)});
        }
      }
      spdlog::info("pretokenize: {}: {} distinct audio files, codes in {}", split,
                   items.size() - before, datasets_.back()->code_cache().dir());
    }
    return items;
  }

  Totals encode_all(const std::vector<Item>& items, int workers) {
    Totals t;
    std::mutex mu;
    std::set<std::string> claimed;  // cache paths being written or read by some worker
    std::atomic<size_t> next{0};
    std::atomic<int64_t> done{0};
    ProgressBar progress(
        {"pretokenize", static_cast<int64_t>(items.size()), "file", 0, o_.progress_bar});
    const int64_t log_every = std::max<int64_t>(1, static_cast<int64_t>(items.size()) / 10);
    auto start = std::chrono::steady_clock::now();

    auto finish_one = [&](const std::function<void(Totals&)>& update) {
      std::lock_guard<std::mutex> lock(mu);
      update(t);
      int64_t n = ++done;
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      // The hours of audio done so far: a corpus is as long as its audio, not its file count.
      char line[160];
      std::snprintf(line, sizeof line, "%.3f h of audio, %lld cached, %lld encoded, %.2f audio-s/s",
                    (t.hit_seconds + t.encoded_seconds) / 3600.0, (long long)t.hits,
                    (long long)t.encoded, el > 0 ? t.encoded_seconds / el : 0.0);
      progress.update(n, line);
      if (n % log_every == 0 || n == static_cast<int64_t>(items.size()))
        spdlog::debug("pretokenize: {}/{} files: {}", n, items.size(), line);
    };

    auto work = [&] {
      at::set_num_threads(static_cast<int>(o_.threads_per_worker));
      torch::NoGradGuard no_grad;
      struct Pending {
        const Item* item;
        std::string key;
        at::Tensor wave;
      };
      std::vector<Pending> batch;
      auto flush = [&] {
        if (batch.empty()) return;
        AudioTokenizer& tok = batch[0].item->ds->audio_tokenizer();
        std::vector<at::Tensor> waves;
        for (const auto& p : batch) waves.push_back(p.wave);
        std::vector<at::Tensor> codes;
        try {
          codes = tok.encode_batch(waves);
        } catch (const std::exception& e) {
          for (const auto& p : batch)
            finish_one([&](Totals& x) { x.failed.emplace_back(p.item->ref.where, e.what()); });
          batch.clear();
          return;
        }
        for (size_t i = 0; i < batch.size(); ++i) {
          const auto& p = batch[i];
          const ChatMLContent& a = p.item->ref.audio;
          try {
            p.item->ds->code_cache().put(p.key, codes[i].to(torch::kCPU, torch::kLong).contiguous(),
                                         a.audio_path.empty() ? p.item->ref.where : a.audio_path);
            double secs = double(p.wave.size(0)) / double(tok.sample_rate());
            finish_one([&](Totals& x) {
              ++x.encoded;
              x.encoded_seconds += secs;
            });
          } catch (const std::exception& e) {
            finish_one([&](Totals& x) { x.failed.emplace_back(p.item->ref.where, e.what()); });
          }
        }
        batch.clear();
      };
      for (size_t i = next++; i < items.size(); i = next++) {
        const Item& it = items[i];
        const ChatMLDataset& ds = *it.ds;
        try {
          const std::string clip_key = ds.cache_key(it.ref.audio, it.ref.where);
          const std::string key = it.variant >= 0 ? ds.variant_key(clip_key, it.variant) : clip_key;
          bool first;
          {
            std::lock_guard<std::mutex> lock(mu);
            first = claimed.insert(ds.code_cache().path_of(key)).second;
          }
          if (!first) {  // another file with the same bytes: one entry serves both
            finish_one([](Totals& x) { ++x.duplicates; });
            continue;
          }
          if (auto cached = ds.code_cache().get(key)) {
            double secs = double(cached->size(1) * ds.audio_tokenizer().hop_length()) /
                          double(ds.audio_tokenizer().sample_rate());
            spdlog::debug("pretokenize: cache hit {}", it.ref.where);
            finish_one([&](Totals& x) {
              ++x.hits;
              x.hit_seconds += secs;
            });
            continue;
          }
          const int rate = static_cast<int>(ds.audio_tokenizer().sample_rate());
          auto wav = it.variant >= 0 ? ds.variant_samples(it.ref.audio, rate, it.ref.where,
                                                          clip_key, it.variant)
                                     : ds.load_samples(it.ref.audio, rate, it.ref.where);
          at::Tensor w =
              torch::from_blob(wav.data(), {static_cast<int64_t>(wav.size())}, torch::kFloat32)
                  .clone();
          if (!batch.empty() && &batch[0].item->ds->audio_tokenizer() != &ds.audio_tokenizer())
            flush();
          batch.push_back({&it, key, w});
          if (static_cast<int64_t>(batch.size()) >= o_.batch_size) flush();
        } catch (const SampleError& e) {
          finish_one([&](Totals& x) { x.failed.emplace_back(e.source(), e.reason()); });
        } catch (const std::exception& e) {
          finish_one([&](Totals& x) { x.failed.emplace_back(it.ref.where, e.what()); });
        }
      }
      flush();
    };
    std::vector<std::thread> pool;
    for (int w = 0; w < workers; ++w) pool.emplace_back(work);
    for (auto& th : pool) th.join();
    progress.finish();
    std::sort(t.failed.begin(), t.failed.end());
    return t;
  }

  void report(size_t files, const Totals& t, double wall) {
    std::printf(
        "pretokenize: %zu audio files: %lld encoded, %lld cache hits, %lld duplicates, %zu "
        "failed\n",
        files, (long long)t.encoded, (long long)t.hits, (long long)t.duplicates, t.failed.size());
    for (const auto& [where, why] : t.failed)
      std::printf("  failed %s: %s\n", where.c_str(), why.c_str());
    std::printf("  encoded: %.1f s of audio in %.1f s (%.2f audio-s/s)\n", t.encoded_seconds, wall,
                wall > 0 ? t.encoded_seconds / wall : 0.0);
    std::printf("  cache hits: %.1f s of audio\n", t.hit_seconds);
    if (files > 0 && t.hits + t.duplicates == static_cast<int64_t>(files))
      std::printf("  every file was already in the code cache\n");
    if (!t.failed.empty())
      std::printf(
          "  %zu files could not be encoded (listed above); training skips the samples using "
          "them\n",
          t.failed.size());
    std::fflush(stdout);
  }

  Options o_;
  std::vector<std::shared_ptr<ChatMLDataset>> datasets_;
};

}  // namespace

HIGGS_REGISTER(
    Task, PretokenizeTask, "pretokenize",
    "Encode every audio file of train_data and eval_data into the code cache (resumable).");

}  // namespace higgs
