// Encode speed of the Higgs audio tokenizer (full size, random weights) on CPU: audio seconds
// encoded per wall-clock second, one clip at a time versus batched.
//
//   audio_tokenizer_bench [--clips 8] [--min-seconds 3] [--max-seconds 10] [--threads 2]
//                         [--batch 4] [--dtype float32|bfloat16] [--repeats 1]
//
// Clip lengths are spread evenly between min and max seconds. Weights are random, so the
// numbers measure compute only (the real checkpoint has the same shapes).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "components/audio_tokenizers/higgs_audio/tokenizer.h"

namespace ha = higgs::higgs_audio;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  int clips = 8, threads = 2, batch = 4, repeats = 1;
  double min_s = 3, max_s = 10;
  std::string dtype = "float32";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--clips")
      clips = std::stoi(v);
    else if (a == "--threads")
      threads = std::stoi(v);
    else if (a == "--batch")
      batch = std::stoi(v);
    else if (a == "--repeats")
      repeats = std::stoi(v);
    else if (a == "--min-seconds")
      min_s = std::stod(v);
    else if (a == "--max-seconds")
      max_s = std::stod(v);
    else if (a == "--dtype")
      dtype = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  at::set_num_threads(threads);
  ha::TokenizerConfig config;  // released sizes
  ha::RunOptions run;
  run.dtype = dtype;
  double t0 = now();
  ha::HiggsAudioTokenizerModel model(config, ha::random_weights(config, 1), run);
  std::printf("built full-size tokenizer (%s) in %.1f s, %d threads\n", dtype.c_str(), now() - t0,
              threads);

  std::vector<at::Tensor> waves;
  double total_s = 0;
  torch::manual_seed(0);
  for (int i = 0; i < clips; ++i) {
    double s = clips == 1 ? min_s : min_s + (max_s - min_s) * i / (clips - 1);
    int64_t n = static_cast<int64_t>(s * config.sample_rate);
    waves.push_back(torch::randn({n}) * 0.1);
    total_s += static_cast<double>(n) / config.sample_rate;
  }
  model.encode(torch::randn({24000}) * 0.1);  // warm-up

  for (int r = 0; r < repeats; ++r) {
    t0 = now();
    for (const auto& w : waves) model.encode(w);
    double single = now() - t0;
    t0 = now();
    for (size_t i = 0; i < waves.size(); i += batch) {
      std::vector<at::Tensor> chunk(waves.begin() + i,
                                    waves.begin() + std::min(waves.size(), i + batch));
      model.encode_batch(chunk);
    }
    double batched = now() - t0;
    std::printf(
        "%d clips, %.1f s of audio: one at a time %.2f s (%.2f audio s/s); "
        "batches of %d %.2f s (%.2f audio s/s)\n",
        clips, total_s, single, total_s / single, batch, batched, total_s / batched);
  }
  return 0;
}
