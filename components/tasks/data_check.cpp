// Task `data_check`: loads every sample of train_data and eval_data (audio, codes, tokens) and
// reports counts, each skipped sample with its reason, audio hours and token-length statistics.
//
//   higgs-run data-check RECIPE          (same as: higgs-run RECIPE --set task=data_check)
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <spdlog/spdlog.h>
#include <thread>

#include "components/audio/audio_tokenizer.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/dataset.h"

namespace higgs {
namespace {

struct SplitReport {
  std::string split;
  int64_t total = 0, ok = 0;
  std::vector<std::pair<std::string, std::string>> skipped;  // source, reason
  std::vector<int64_t> text_tokens, total_tokens;
  int64_t audio_frames = 0;
  double max_bad_fraction = 0;
};

double percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[static_cast<size_t>(p * double(v.size() - 1) + 0.5)]);
}

SplitReport check_split(const std::string& split, const Dataset& ds, int threads) {
  SplitReport r;
  r.split = split;
  r.total = static_cast<int64_t>(ds.size());
  r.max_bad_fraction = ds.max_bad_fraction();
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < ds.size(); i = next++) {
      try {
        Example ex = ds.get(i);
        int64_t text = ex.tensors.at("input_ids").numel();
        int64_t frames = ex.tensors.count("audio_ids_concat") ? ex.tensors.at("audio_ids_concat").size(-1) : 0;
        std::lock_guard<std::mutex> lock(mu);
        ++r.ok;
        r.text_tokens.push_back(text);
        r.total_tokens.push_back(text + frames);
        r.audio_frames += frames;
      } catch (const SampleError& e) {
        std::lock_guard<std::mutex> lock(mu);
        r.skipped.emplace_back(e.source(), e.reason());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  std::sort(r.skipped.begin(), r.skipped.end());
  return r;
}

class DataCheckTask : public Task {
 public:
  struct Options {
    int64_t workers = 2;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("workers", o.workers, "Threads loading samples.").min(1);
  }
  DataCheckTask(const Options& o, BuildContext&) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"train_data"}; }

  int run(BuildContext& ctx) override {
    double hop_seconds = 0.04;
    if (auto at = ctx.get_optional<AudioTokenizer>("audio_tokenizer"))
      hop_seconds = double(at->hop_length()) / double(at->sample_rate());
    bool failed = false;
    for (const std::string split : {"train_data", "eval_data"}) {
      if (!ctx.has(split)) continue;
      auto ds = ctx.get<Dataset>(split);
      SplitReport r = check_split(split, *ds, static_cast<int>(o_.workers));
      double frac = r.total ? double(r.skipped.size()) / double(r.total) : 0.0;
      std::printf("%s: %lld samples, %lld loaded, %zu skipped (%.1f%%, limit %.1f%%)\n", split.c_str(),
                  (long long)r.total, (long long)r.ok, r.skipped.size(), 100 * frac, 100 * r.max_bad_fraction);
      for (const auto& [src, why] : r.skipped) std::printf("  skipped %s: %s\n", src.c_str(), why.c_str());
      std::printf("  audio: %.4f hours in %lld code frames\n", double(r.audio_frames) * hop_seconds / 3600.0,
                  (long long)r.audio_frames);
      if (!r.total_tokens.empty()) {
        auto stats = [](const char* name, const std::vector<int64_t>& v) {
          double mean = 0;
          for (auto x : v) mean += double(x);
          mean /= double(v.size());
          std::printf("  %s: min %.0f  mean %.1f  p50 %.0f  p95 %.0f  max %.0f\n", name, percentile(v, 0),
                      mean, percentile(v, 0.5), percentile(v, 0.95), percentile(v, 1.0));
        };
        stats("text tokens", r.text_tokens);
        stats("text tokens + audio frames", r.total_tokens);
      }
      if (frac > r.max_bad_fraction) {
        std::printf("  FAILED: more samples skipped than max_bad_fraction allows\n");
        failed = true;
      }
    }
    std::fflush(stdout);
    return failed ? 1 : 0;
  }

 private:
  Options o_;
};

}  // namespace

HIGGS_REGISTER(Task, DataCheckTask, "data_check",
               "Load every sample; report skipped samples, audio hours and token lengths.");

}  // namespace higgs
