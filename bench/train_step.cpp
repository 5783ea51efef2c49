// Training-step benchmark of the higgs_audio model on the CPU: forward + backward tokens/s and the
// achieved FLOP/s, next to the GEMM rate of the same LibTorch (torch::mm of the layer shapes)
// measured in the same run. Peer: bench/python/train_step_peer.py (same config and batch).
//
//   train_step [--threads N] [--steps N] [--batch B] [--frames T] [--dtype float32|bfloat16]
//              [--checkpointing] [--json]
//
// Links against higgs_framework and the model sources (components/models/higgs_audio/*.cpp).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/loss.h"
#include "components/models/higgs_audio/model.h"

using higgs::Json;
using namespace higgs::higgs_audio;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The bench model: the released layout (all layers DualFFN, 8 codebooks of 1024) at small width.
Json bench_config() {
  Json text = {{"hidden_size", 512},
               {"num_hidden_layers", 4},
               {"num_attention_heads", 8},
               {"num_key_value_heads", 4},
               {"head_dim", 64},
               {"intermediate_size", 1536},
               {"hidden_act", "silu"},
               {"rms_norm_eps", 1e-5},
               {"vocab_size", 8192},
               {"rope_theta", 500000.0},
               {"rope_scaling",
                {{"rope_type", "llama3"},
                 {"factor", 32.0},
                 {"low_freq_factor", 1.0},
                 {"high_freq_factor", 4.0},
                 {"original_max_position_embeddings", 8192}}}};
  return Json{{"audio_adapter_type", "dual_ffn_fast_forward"},
              {"audio_dual_ffn_layers", {0, 1, 2, 3}},
              {"audio_num_codebooks", 8},
              {"audio_codebook_size", 1024},
              {"audio_in_token_idx", 8000},
              {"audio_out_token_idx", 8001},
              {"pad_token_id", 8002},
              {"encode_audio_in_tokens", true},
              {"skip_audio_tower", true},
              {"text_config", text}};
}

// Voice-cloning shaped batch: 40 text tokens, a reference audio-out run and a target run.
higgs::Batch bench_batch(int64_t bsz, int64_t frames) {
  higgs::Batch b;
  const int64_t text = 40;
  std::vector<int64_t> row;
  for (int64_t i = 0; i < text / 2; ++i) row.push_back(100 + i);
  row.push_back(8001);  // reference audio (not trained)
  for (int64_t i = 0; i < text / 2; ++i) row.push_back(200 + i);
  row.push_back(8001);  // target audio
  auto ids = torch::tensor(row, torch::kInt64).unsqueeze(0).repeat({bsz, 1});
  b.tensors["input_ids"] = ids;
  b.tensors["attention_mask"] = torch::ones_like(ids);
  auto labels = torch::full_like(ids, -100);
  labels.slice(1, text / 2 + 1, text + 1).copy_(ids.slice(1, text / 2 + 1, text + 1));
  b.tensors["label_ids"] = labels;
  const int64_t cols = 2 * frames * bsz;
  auto codes = torch::randint(0, 1026, {8, cols}, torch::kInt64);
  b.tensors["audio_out_ids"] = codes;
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < 2 * bsz; ++i) starts.push_back(i * frames);
  b.tensors["audio_out_ids_start"] = torch::tensor(starts, torch::kInt64);
  auto la = codes.clone();
  for (int64_t i = 0; i < 2 * bsz; i += 2) la.slice(1, i * frames, (i + 1) * frames).fill_(-100);
  b.tensors["label_audio_ids"] = la;
  b.infos.resize(bsz);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, steps = 5, bsz = 2, frames = 200;
  bool ckpt = false, json = false;
  std::string dtype = "float32";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return std::string(i + 1 < argc ? argv[++i] : ""); };
    if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--steps")
      steps = std::stoi(next());
    else if (a == "--batch")
      bsz = std::stoi(next());
    else if (a == "--frames")
      frames = std::stoi(next());
    else if (a == "--dtype")
      dtype = next();
    else if (a == "--checkpointing")
      ckpt = true;
    else if (a == "--json")
      json = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  at::set_num_threads(threads);
  torch::manual_seed(0);
  auto cfg = higgs::HiggsAudioConfig::from_json(bench_config());
  const auto st = dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  HiggsAudioModel model(cfg, st);
  model->init_weights(0, 0.02);
  model->gradient_checkpointing = ckpt;
  model->train();
  auto batch = bench_batch(bsz, frames);

  // Analytic FLOPs of one forward (2 per multiply-add); backward counted as 2x forward.
  const auto& t = cfg.text_config;
  const double h = t.hidden_size, hd = t.resolved_head_dim();
  const double q = t.num_attention_heads * hd, kv = t.num_key_value_heads * hd;
  auto plan = model->plan(batch);
  const double tokens = plan.attention_mask.sum().item<double>();
  const double len = plan.length, rows = plan.batch * len;
  const double n_text = plan.labels.slice(1, 1).ne(-100).sum().item<double>();
  const double n_audio = plan.audio_out_dst.numel();
  double fwd = t.num_hidden_layers *
               (rows * 2 * h * (2 * q + 2 * kv) + rows * 2 * 3 * h * t.intermediate_size +
                plan.batch * t.num_attention_heads * 2 * 2 * len * len * hd);
  fwd += n_text * 2 * h * t.vocab_size + n_audio * 2 * h * 8 * 1026;
  const double step_flops = 3 * fwd;

  double best = 1e30, total = 0;
  for (int s = 0; s < steps + 1; ++s) {
    model->zero_grad();
    const double t0 = now();
    auto terms = compute_loss_terms(*model, batch, {});
    torch::Tensor loss = torch::zeros({});
    for (const auto& term : terms)
      loss = loss + term.sum * term.weight / std::max<int64_t>(term.count, 1);
    loss.backward();
    const double dt = now() - t0;
    if (s == 0) continue;  // warm-up
    best = std::min(best, dt);
    total += dt;
  }
  const double mean = total / steps;

  // GEMM rate of the same library: the MLP up-projection shape of this batch.
  auto a = torch::randn({static_cast<int64_t>(rows), static_cast<int64_t>(h)}).to(st);
  auto w = torch::randn({static_cast<int64_t>(h), t.intermediate_size}).to(st);
  double gbest = 1e30;
  for (int s = 0; s < 10; ++s) {
    const double t0 = now();
    auto c = torch::mm(a, w);
    (void)c.sum().item<float>();
    gbest = std::min(gbest, now() - t0);
  }
  const double gemm = 2 * rows * h * t.intermediate_size / gbest;
  const double achieved = step_flops / best;
  if (json) {
    std::printf(
        "{\"threads\":%d,\"dtype\":\"%s\",\"checkpointing\":%s,\"batch\":%d,\"seq\":%.0f,"
        "\"tokens\":%.0f,\"step_s_best\":%.4f,\"step_s_mean\":%.4f,\"tokens_per_s\":%.1f,"
        "\"gflops_step\":%.2f,\"achieved_gflops\":%.2f,\"gemm_gflops\":%.2f}\n",
        threads, dtype.c_str(), ckpt ? "true" : "false", bsz, len, tokens, best, mean,
        tokens / best, step_flops / 1e9, achieved / 1e9, gemm / 1e9);
  } else {
    std::printf(
        "higgs_audio train step (%s, %d threads%s): batch %d x %.0f positions, %.0f tokens\n",
        dtype.c_str(), threads, ckpt ? ", checkpointing" : "", bsz, len, tokens);
    std::printf("  step: best %.4f s, mean %.4f s -> %.1f tokens/s\n", best, mean, tokens / best);
    std::printf(
        "  %.2f GFLOP/step -> %.2f GFLOP/s achieved; torch::mm (%.0fx%.0fx%lld) %.2f GFLOP/s "
        "(%.0f%%)\n",
        step_flops / 1e9, achieved / 1e9, rows, h, static_cast<long long>(t.intermediate_size),
        gemm / 1e9, 100 * achieved / gemm);
  }
  return 0;
}
