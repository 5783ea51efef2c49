// Data pipeline throughput: a recipe's train_data and collator, as the trainer runs them (one
// thread): ChatML sample -> text tokens laid out as prepare_chatml_sample -> audio codes from the
// on-disk cache (file hash + cache read) -> 16 kHz waveforms and Whisper log-mel (when the recipe
// asks for them) -> collated batch. The first pass fills the code cache (audio tokenizer encode)
// and is reported on its own; the timed passes are the steady state of every later epoch. The
// Python peer is bench/python/data_pipeline_peer.py; bench/data_pipeline.sh runs both.
//
//   data_pipeline RECIPE [--tla-str K=V]... [--set K=V]... [--batch 4] [--repeat 3] [--threads 1]
//
// Prints one JSON line per pass kind.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "components/tasks/recipe_parts.h"
#include "framework/run/component_builder.h"
#include "framework/run/runner.h"
#include "framework/train/collator.h"
#include "framework/train/dataset.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::pair<std::string, std::string> split_kv(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos) throw std::runtime_error("expected K=V, got " + s);
  return {s.substr(0, eq), s.substr(eq + 1)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: %s RECIPE [--tla-str K=V] [--set K=V] [--batch N] [--repeat N] [--threads N]\n",
        argv[0]);
    return 2;
  }
  higgs::RecipeArgs args;
  args.recipe = argv[1];
  int64_t batch = 4;
  int repeat = 3, threads = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--tla-str")
      args.load.tla_str.push_back(split_kv(value));
    else if (flag == "--set")
      args.load.sets.push_back(value);
    else if (flag == "--batch")
      batch = std::stoll(value);
    else if (flag == "--repeat")
      repeat = std::stoi(value);
    else if (flag == "--threads")
      threads = std::stoi(value);
    else {
      std::fprintf(stderr, "data_pipeline: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  at::set_num_threads(threads);
  const higgs::RecipePlan plan = higgs::load_plan(args, /*check_task=*/false);
  higgs::ComponentBuilder components(plan);
  higgs::RecipeParts parts(components,
                           higgs::RunSettings{plan.settings.seed, plan.settings.device, {}});
  auto ds = parts.dataset("train_data");
  auto collator = parts.collator();
  const size_t n = ds->size();

  int64_t frames = 0, tokens = 0, windows = 0;
  auto pass = [&] {
    frames = tokens = windows = 0;
    for (size_t begin = 0; begin < n; begin += size_t(batch)) {
      std::vector<higgs::Example> examples;
      for (size_t i = begin; i < std::min(n, begin + size_t(batch)); ++i) {
        examples.push_back(ds->get(i));
        const auto& t = examples.back().tensors;
        tokens += t.at("input_ids").numel();
        if (t.count("audio_ids_concat")) frames += t.at("audio_ids_concat").size(-1);
      }
      higgs::Batch b = collator->collate(examples);
      if (b.size() != int64_t(examples.size()))
        throw std::runtime_error("collated batch lost samples");
      if (b.tensors.count("audio_features") && b.tensors.at("audio_features").defined())
        windows += b.tensors.at("audio_features").size(0);
    }
  };
  auto t0 = Clock::now();
  pass();
  const double first = since(t0);
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    t0 = Clock::now();
    pass();
    best = std::min(best, since(t0));
  }
  const double audio_s = double(frames) / 25.0;  // 25 code frames per second
  auto line = [&](const char* kind, double t) {
    std::printf(
        "{\"impl\": \"higgs-train C++\", \"pass\": \"%s\", \"samples\": %zu, \"text_tokens\": "
        "%lld, \"whisper_windows\": %lld, "
        "\"audio_s\": %.2f, \"wall_s\": %.4f, \"samples_per_s\": %.1f, \"audio_s_per_s\": %.1f, "
        "\"threads\": %d}\n",
        kind, n, (long long)tokens, (long long)windows, audio_s, t, double(n) / t, audio_s / t,
        threads);
  };
  line("first (fills the code cache)", first);
  line("steady", best);
  return 0;
}
