// Task `data_check`: loads every sample of train_data and eval_data (audio, codes, tokens) and
// reports counts, each skipped sample with its reason, audio hours and token-length statistics,
// the samples the filters dropped (by reason), counts per language and mixed dataset, duration
// and speaking-rate histograms and the padding of the sampler's batches, as text or (--json)
// one JSON object.
//
//   higgs-run data-check RECIPE [--json]   (same as: higgs-run RECIPE --set task=data_check)
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
#include "components/tasks/data_composition.h"
#include "components/tasks/recipe_parts.h"
#include "framework/registry/registry.h"
#include "framework/run/task.h"
#include "framework/train/dataset.h"
#include "framework/util/progress_bar.h"

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
                        int64_t num_codebooks, bool progress_bar) {
  SplitReport r;
  ProgressBar bar({split, static_cast<int64_t>(ds.size()), "sample", 0, progress_bar});
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
        bar.advance();
      } catch (const SampleError& e) {
        std::lock_guard<std::mutex> lock(mu);
        r.skipped.emplace_back(e.source(), e.reason());
        bar.advance();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  bar.finish();
  std::sort(r.skipped.begin(), r.skipped.end());
  return r;
}

double gib(double bytes) { return bytes / double(1LL << 30); }

// The longest sample's micro-batch against the model's config: what training would hold for it,
// and a warning when that is more than this machine's memory (CPU runs) has.
// Precision, checkpointing and device are read from the resolved recipe as a whole: the estimate
// is of the run that recipe describes.
struct MemoryReport {
  TrainingMemoryEstimate estimate;
  int64_t rows = 0, positions = 0;
  double machine_bytes = 0;  // CPU runs: this machine's memory; 0 otherwise
  bool too_big() const { return machine_bytes > 0 && estimate.total() > machine_bytes; }
};

MemoryReport estimate_memory(const HiggsAudioConfig& cfg, const Json& recipe, int64_t rows,
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
  MemoryReport m{estimate_training_memory(cfg, in), rows, r.longest_positions, 0};
  if (on_cpu) m.machine_bytes = double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGE_SIZE));
  return m;
}

void print_memory_estimate(const MemoryReport& m) {
  const auto& e = m.estimate;
  std::printf(
      "  memory, a batch of %lld x the longest sample (%lld positions), estimated: %.2f GiB "
      "(weights %.2f, activations %.2f, attention %.2f, logits %.2f; without gradients and "
      "optimizer "
      "state)\n",
      (long long)m.rows, (long long)m.positions, gib(e.total()), gib(e.weights), gib(e.activations),
      gib(e.attention), gib(e.logits));
  if (m.too_big())
    std::printf(
        "  WARNING: that is more than this machine's %.1f GiB of memory: lower trainer.batch_size, "
        "shorten the longest samples, or set model.gradient_checkpointing=true\n",
        gib(m.machine_bytes));
}

Json memory_json(const MemoryReport& m) {
  const auto& e = m.estimate;
  return {{"rows", m.rows},
          {"positions", m.positions},
          {"total_gib", gib(e.total())},
          {"weights_gib", gib(e.weights)},
          {"activations_gib", gib(e.activations)},
          {"attention_gib", gib(e.attention)},
          {"logits_gib", gib(e.logits)},
          {"exceeds_machine_memory", m.too_big()}};
}

struct LengthStats {
  double min = 0, mean = 0, p50 = 0, p95 = 0, max = 0;
};

LengthStats length_stats(const std::vector<int64_t>& v) {
  LengthStats s;
  for (auto x : v) s.mean += double(x);
  s.mean /= double(v.size());
  s.min = percentile(v, 0);
  s.p50 = percentile(v, 0.5);
  s.p95 = percentile(v, 0.95);
  s.max = percentile(v, 1.0);
  return s;
}

Json stats_json(const LengthStats& s) {
  return {{"min", s.min}, {"mean", s.mean}, {"p50", s.p50}, {"p95", s.p95}, {"max", s.max}};
}

class DataCheckTask : public Task {
 public:
  struct Options {
    int64_t workers = 2;
    bool json = false;
    bool progress_bar = true;
  };
  static void bind(Binder& b, Options& o) {
    b.opt("workers", o.workers, "Threads loading samples.").min(1);
    b.opt("json", o.json, "Print the report as one JSON object on stdout instead of text.");
    b.opt("progress_bar", o.progress_bar,
          "Show progress over the samples: a bar on a terminal, a line every 30 s otherwise.");
  }
  explicit DataCheckTask(const Options& o) : o_(o) {}
  std::vector<std::string> required_keys() const override { return {"train_data|train_mix"}; }

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
    const std::shared_ptr<Sampler> sampler = parts.sampler();
    const int64_t num_codebooks = model_cfg ? model_cfg->audio_num_codebooks : 8;
    Json splits = Json::array();
    for (const std::string split : {"train_data", "eval_data"}) {
      if (!parts.has_dataset(split)) continue;
      auto ds = parts.dataset(split);
      SplitReport r =
          check_split(split, *ds, static_cast<int>(o_.workers), num_codebooks, o_.progress_bar);
      const CompositionReport made_of =
          composition_of(*ds, split == "train_data" ? sampler.get() : nullptr,
                         split == "eval_data" ? batches.eval : batches.train, ctx.run.seed);
      const double frac = r.total ? double(r.skipped.size()) / double(r.total) : 0.0;
      const double hours = double(r.audio_frames) * hop_seconds / 3600.0;
      const bool split_failed = frac > r.max_bad_fraction;
      failed = failed || split_failed;
      std::optional<MemoryReport> memory;
      if (model_cfg && !r.total_tokens.empty())
        memory = estimate_memory(*model_cfg, ctx.plan.resolved,
                                 split == "eval_data" ? batches.eval : batches.train, r);
      if (o_.json) {
        Json j = {{"split", split},
                  {"samples", r.total},
                  {"loaded", r.ok},
                  {"skipped_fraction", frac},
                  {"max_bad_fraction", r.max_bad_fraction},
                  {"audio_hours", hours},
                  {"audio_frames", r.audio_frames},
                  {"failed", split_failed}};
        j["skipped"] = Json::array();
        for (const auto& [src, why] : r.skipped)
          j["skipped"].push_back({{"source", src}, {"reason", why}});
        if (!r.total_tokens.empty()) {
          j["text_tokens"] = stats_json(length_stats(r.text_tokens));
          j["total_tokens"] = stats_json(length_stats(r.total_tokens));
        }
        if (memory) j["memory_estimate"] = memory_json(*memory);
        j["composition"] = composition_json(made_of);
        splits.push_back(std::move(j));
        continue;
      }
      std::printf("%s: %lld samples, %lld loaded, %zu skipped (%.1f%%, limit %.1f%%)\n",
                  split.c_str(), (long long)r.total, (long long)r.ok, r.skipped.size(), 100 * frac,
                  100 * r.max_bad_fraction);
      for (const auto& [src, why] : r.skipped)
        std::printf("  skipped %s: %s\n", src.c_str(), why.c_str());
      std::printf("  audio: %.4f hours in %lld code frames\n", hours, (long long)r.audio_frames);
      if (!r.total_tokens.empty()) {
        auto print_stats = [](const char* name, const LengthStats& s) {
          std::printf("  %s: min %.0f  mean %.1f  p50 %.0f  p95 %.0f  max %.0f\n", name, s.min,
                      s.mean, s.p50, s.p95, s.max);
        };
        print_stats("text tokens", length_stats(r.text_tokens));
        print_stats("text tokens + audio frames", length_stats(r.total_tokens));
        if (memory) print_memory_estimate(*memory);
      }
      print_composition(made_of);
      if (split_failed)
        std::printf("  FAILED: more samples skipped than max_bad_fraction allows\n");
    }
    if (o_.json) std::printf("%s\n", Json({{"ok", !failed}, {"splits", splits}}).dump().c_str());
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
