// Task `data_check`: loads every sample of train_data and eval_data (audio, codes, tokens) and
// reports counts, each skipped sample with its reason, audio hours and token-length statistics.
//
//   higgs-run data-check RECIPE          (same as: higgs-run RECIPE --set task=data_check)
#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "components/audio/audio_tokenizer.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/max_positions.h"
#include "components/models/higgs_audio/memory_estimate.h"
#include "components/tasks/recipe_parts.h"
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
  int64_t longest_positions = 0, longest_frames = 0;  // the sample with the most positions
  double max_bad_fraction = 0;
};

double percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[static_cast<size_t>(p * double(v.size() - 1) + 0.5)]);
}

SplitReport check_split(const std::string& split, const Dataset& ds, int threads,
                        int64_t num_codebooks) {
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
        int64_t frames =
            ex.tensors.count("audio_ids_concat") ? ex.tensors.at("audio_ids_concat").size(-1) : 0;
        int64_t segments =
            ex.tensors.count("audio_ids_start") ? ex.tensors.at("audio_ids_start").numel() : 0;
        // Each segment's placeholder becomes T + K + 1 rows with the delay pattern (an upper
        // bound).
        int64_t positions = text + frames + segments * (num_codebooks + 1);
        std::lock_guard<std::mutex> lock(mu);
        if (positions > r.longest_positions) {
          r.longest_positions = positions;
          r.longest_frames = frames;
        }
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

double gib(double bytes) { return bytes / double(1LL << 30); }

// The longest sample's micro-batch against the model's config: what training would hold for it,
// and a warning when that is more than this machine's memory (CPU runs) has.
// Precision, checkpointing and device are read from the resolved recipe as a whole: the estimate
// is of the run that recipe describes.
void print_memory_estimate(const HiggsAudioConfig& cfg, const Json& recipe, int64_t rows,
                           const SplitReport& r) {
  const Json& trainer = recipe.value("trainer", Json::object());
  TrainingMemoryInputs in;
  in.rows = rows;
  in.positions = r.longest_positions;
  in.audio_out_frames = r.longest_frames;
  in.bf16 = trainer.value("precision", std::string("fp32")) == "bf16";
  in.gradient_checkpointing =
      recipe.value("model", Json::object()).value("gradient_checkpointing", false);
  const bool on_cpu = recipe.value("device", std::string("cpu")) == "cpu";
  in.attention_scores = on_cpu;
  TrainingMemoryEstimate e = estimate_training_memory(cfg, in);
  std::printf(
      "  memory, a batch of %lld x the longest sample (%lld positions), estimated: %.2f GiB "
      "(weights %.2f, activations %.2f, attention %.2f, logits %.2f; without gradients and "
      "optimizer "
      "state)\n",
      (long long)rows, (long long)r.longest_positions, gib(e.total()), gib(e.weights),
      gib(e.activations), gib(e.attention), gib(e.logits));
  const double ram = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  if (on_cpu && ram > 0 && e.total() > ram)
    std::printf(
        "  WARNING: that is more than this machine's %.1f GiB of memory: lower trainer.batch_size, "
        "shorten the longest samples, or set model.gradient_checkpointing=true\n",
        gib(ram));
}

class DataCheckTask : public Task {
 public:
  struct Options {
    int64_t workers = 2;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("workers", o.workers, "Threads loading samples.").min(1);
  }
  explicit DataCheckTask(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"train_data"}; }

  int run(TaskContext& ctx) override {
    RecipeParts parts(ctx);
    double hop_seconds = 0.04;
    if (auto at = parts.audio_tokenizer())
      hop_seconds = double(at->hop_length()) / double(at->sample_rate());
    bool failed = false;
    // The model's config (from the recipe's model.path) sizes the memory estimate; without one
    // there is nothing to estimate against.
    std::optional<HiggsAudioConfig> model_cfg;
    if (auto j = parts.model_config()) model_cfg = HiggsAudioConfig::from_json(*j);
    const BatchSizes batches = parts.trainer()->batch_sizes();
    const int64_t num_codebooks = model_cfg ? model_cfg->audio_num_codebooks : 8;
    for (const std::string split : {"train_data", "eval_data"}) {
      if (!ctx.components.has(split)) continue;
      auto ds = parts.dataset(split);
      SplitReport r = check_split(split, *ds, static_cast<int>(o_.workers), num_codebooks);
      double frac = r.total ? double(r.skipped.size()) / double(r.total) : 0.0;
      std::printf("%s: %lld samples, %lld loaded, %zu skipped (%.1f%%, limit %.1f%%)\n",
                  split.c_str(), (long long)r.total, (long long)r.ok, r.skipped.size(), 100 * frac,
                  100 * r.max_bad_fraction);
      for (const auto& [src, why] : r.skipped)
        std::printf("  skipped %s: %s\n", src.c_str(), why.c_str());
      std::printf("  audio: %.4f hours in %lld code frames\n",
                  double(r.audio_frames) * hop_seconds / 3600.0, (long long)r.audio_frames);
      if (!r.total_tokens.empty()) {
        auto stats = [](const char* name, const std::vector<int64_t>& v) {
          double mean = 0;
          for (auto x : v) mean += double(x);
          mean /= double(v.size());
          std::printf("  %s: min %.0f  mean %.1f  p50 %.0f  p95 %.0f  max %.0f\n", name,
                      percentile(v, 0), mean, percentile(v, 0.5), percentile(v, 0.95),
                      percentile(v, 1.0));
        };
        stats("text tokens", r.text_tokens);
        stats("text tokens + audio frames", r.total_tokens);
        if (model_cfg)
          print_memory_estimate(*model_cfg, ctx.plan.resolved,
                                split == "eval_data" ? batches.eval : batches.train, r);
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
