// Training-step benchmark of the higgs_audio model, CPU or CUDA: forward + backward tokens/s, the
// FLOP rate the step really achieves, and that rate against two limits: the GEMM rate of the same
// LibTorch on the same device measured in this run, and (on a GPU) the device's dense bf16 peak
// (MFU). Peer on the CPU: bench/python/train_step_peer.py (same small config and batch).
//
//   train_step [--config CONFIG.json] [--device cpu|cuda|cuda:N] [--dtype float32|bfloat16]
//              [--lora-r R] [--checkpointing] [--batch B] [--tokens T | --frames F]
//              [--steps N] [--threads N] [--peak-tflops X] [--json]
//
// --config: a Higgs Audio config.json (e.g. tests/golden/higgs_audio_v2_3b/config.json, the
// released 5.8B architecture), random weights; default: a small model of the released layout.
// --lora-r R: LoRA of rank R on every projection (attention q/k/v/o and both FFNs' gate/up/down),
// the base frozen, as a voice-cloning fine-tune trains it. --tokens T: each sample is T positions
// (40 text tokens, a reference and a target audio run of (T - 42) / 2 frames each).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <ATen/DeviceAccelerator.h>
#include <spdlog/spdlog.h>

#include "components/adapters/lora.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/loss.h"
#include "components/models/higgs_audio/model.h"
#include "framework/util/build_info.h"
#include "framework/util/device.h"

using higgs::Json;
using namespace higgs::higgs_audio;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void sync(const torch::Device& d) {
  if (d.is_cuda()) at::accelerator::synchronizeDevice(d.index());
}

// The default bench model: the released layout (all layers DualFFN, 8 codebooks of 1024) small.
Json small_config() {
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

// Voice-cloning shaped batch: 40 text tokens, a reference audio-out run (not trained) and a
// target run, in the model's own token ids.
higgs::Batch bench_batch(const higgs::HiggsAudioConfig& cfg, int64_t bsz, int64_t frames) {
  higgs::Batch b;
  const int64_t text = 40, out_tok = cfg.audio_out_token_idx;
  const int64_t k = cfg.audio_num_codebooks, rows = cfg.codebook_rows();
  std::vector<int64_t> row;
  for (int64_t i = 0; i < text / 2; ++i) row.push_back(100 + i);
  row.push_back(out_tok);  // reference audio (not trained)
  for (int64_t i = 0; i < text / 2; ++i) row.push_back(200 + i);
  row.push_back(out_tok);  // target audio
  auto ids = torch::tensor(row, torch::kInt64).unsqueeze(0).repeat({bsz, 1});
  b.tensors["input_ids"] = ids;
  b.tensors["attention_mask"] = torch::ones_like(ids);
  auto labels = torch::full_like(ids, -100);
  labels.slice(1, text / 2 + 1, text + 1).copy_(ids.slice(1, text / 2 + 1, text + 1));
  b.tensors["label_ids"] = labels;
  const int64_t cols = 2 * frames * bsz;
  auto codes = torch::randint(0, rows, {k, cols}, torch::kInt64);
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

// Dense bf16 tensor-core peak (no sparsity) of the GPUs people train on, from vendor data sheets;
// 0 when unknown (pass --peak-tflops).
double dense_bf16_peak_tflops(const std::string& name) {
  struct Entry {
    const char* key;
    double tflops;
  };
  // Most specific first (an "H100 PCIe" must not match "H100").
  static const Entry table[] = {{"H100 PCIe", 756.0}, {"H100 NVL", 835.0}, {"H100", 989.4},
                                {"H200", 989.4},      {"H800", 989.4},     {"GH200", 989.4},
                                {"B200", 2250.0},     {"A100", 312.0},     {"A800", 312.0},
                                {"L40S", 362.1},      {"L40", 181.0},      {"A10G", 70.0},
                                {"A10", 125.0},       {"RTX 4090", 165.2}, {"RTX 6000 Ada", 364.2}};
  for (const auto& e : table)
    if (name.find(e.key) != std::string::npos) return e.tflops;
  return 0.0;
}

struct StepFlops {
  double total = 0;  // what one training step computes, as run (see count_flops)
  double forward = 0;
};

// FLOPs (2 per multiply-add) of one step. Per token and layer, P = the projections (q, k, v, o
// and one FFN's gate, up, down: DualFFN routes each token through one of its two FFNs), L = the
// LoRA matmuls of those projections; per sequence and layer, A = causal attention (QKᵀ and PV over
// the lower triangle, what the fused kernels compute); H = the output heads on the target
// positions. Backward of a frozen linear layer computes the input gradient only (1x forward), of a
// trained one input and weight gradients (2x); attention backward is 2x; gradient checkpointing
// recomputes the decoder layers' forward once more. Heads are never checkpointed.
StepFlops count_flops(const higgs::HiggsAudioConfig& cfg, const MergePlan& plan, int64_t lora_r,
                      bool checkpointing) {
  const auto& t = cfg.text_config;
  const double h = t.hidden_size, hd = t.resolved_head_dim(), ffn = t.intermediate_size;
  const double q = t.num_attention_heads * hd, kv = t.num_key_value_heads * hd;
  const double layers = t.num_hidden_layers;
  const double tokens = plan.attention_mask.sum().item<double>();
  const double len = plan.length;
  const double per_token_p = 2 * (h * q + 2 * h * kv + q * h + 3 * h * ffn);
  const double per_token_l =
      lora_r > 0 ? 2.0 * lora_r * ((h + q) + 2 * (h + kv) + (q + h) + 2 * (h + ffn) + (ffn + h))
                 : 0;
  const double attention = plan.batch * t.num_attention_heads * 2.0 * len * len * hd;  // causal
  const double n_text = plan.labels.slice(1, 1).ne(-100).sum().item<double>();
  const double n_audio = plan.audio_out_dst.numel();
  const double heads = n_text * 2 * h * t.vocab_size +
                       n_audio * 2 * h * cfg.audio_num_codebooks * cfg.codebook_rows();
  const double p = layers * tokens * per_token_p, l = layers * tokens * per_token_l;
  const double a = layers * attention;
  const bool frozen = lora_r > 0;
  StepFlops f;
  f.forward = p + l + a + heads;
  const double recompute = checkpointing ? p + l + a : 0;
  const double backward = (frozen ? 1 : 2) * p + 2 * l + 2 * a + (frozen ? 1 : 2) * heads;
  f.total = f.forward + recompute + backward;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, steps = 5, bsz = 2, frames = 200, tokens_per_sample = 0;
  int64_t lora_r = 0;
  bool ckpt = false, json = false;
  double peak_tflops = 0;
  std::string dtype = "float32", config_path, device_spec = "cpu";
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
    else if (a == "--tokens")
      tokens_per_sample = std::stoi(next());
    else if (a == "--dtype")
      dtype = next();
    else if (a == "--config")
      config_path = next();
    else if (a == "--device")
      device_spec = next();
    else if (a == "--lora-r")
      lora_r = std::stoll(next());
    else if (a == "--peak-tflops")
      peak_tflops = std::stod(next());
    else if (a == "--checkpointing")
      ckpt = true;
    else if (a == "--json")
      json = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the result (--json)
  if (tokens_per_sample > 0) frames = std::max(1, (tokens_per_sample - 42) / 2);
  at::set_num_threads(threads);
  torch::manual_seed(0);
  const torch::Device dev = higgs::resolve_device(device_spec, 0, "--device");
  Json cfg_json = small_config();
  if (!config_path.empty()) cfg_json = Json::parse(std::ifstream(config_path));
  auto cfg = higgs::HiggsAudioConfig::from_json(cfg_json);
  const auto st = dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  HiggsAudioModel model(cfg, st);
  {
    // Random weights drawn on the device (a full-size model's seeded CPU init takes minutes).
    torch::NoGradGuard no_grad;
    model->to(dev);
    for (auto& p : model->named_parameters()) {
      if (p.key().find("norm.weight") != std::string::npos)
        p.value().fill_(1.0);
      else
        p.value().normal_(0.0, 0.02);
    }
  }
  std::string lora_note;
  std::shared_ptr<higgs::LoraAdapter> lora;  // lives as long as the model it is attached to
  if (lora_r > 0) {
    higgs::LoraAdapter::Options o;
    o.r = lora_r;
    o.alpha = 2.0 * static_cast<double>(lora_r);
    o.dropout = 0.05;
    o.target_modules = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                        "gate_proj", "up_proj", "down_proj"};
    lora = std::make_shared<higgs::LoraAdapter>(o);
    lora->attach(*model);  // freezes the base
    int64_t n = 0;
    for (const auto& p : lora->parameters()) n += p.tensor.numel();
    lora_note = ", LoRA r" + std::to_string(lora_r) + " (" + std::to_string(n) + " trained)";
  }
  model->gradient_checkpointing = ckpt;
  model->train();
  auto batch = bench_batch(cfg, bsz, frames);
  auto plan = model->plan(batch);
  const double tokens = plan.attention_mask.sum().item<double>();
  const StepFlops flops = count_flops(cfg, plan, lora_r, ckpt);

  higgs::reset_peak_memory(dev);
  double best = 1e30, total = 0;
  for (int s = 0; s < steps + 1; ++s) {
    model->zero_grad();
    sync(dev);
    const double t0 = now();
    torch::Tensor loss;
    {
      auto terms = compute_loss_terms(*model, batch, {});
      loss = torch::zeros({}, torch::TensorOptions().device(dev));
      for (const auto& term : terms)
        loss = loss + term.sum * term.weight / std::max<int64_t>(term.count, 1);
    }
    loss.backward();
    sync(dev);
    const double dt = now() - t0;
    if (s == 0) continue;  // warm-up
    best = std::min(best, dt);
    total += dt;
  }
  const double mean = total / steps;
  const auto mem = higgs::device_memory(dev);
  const double peak_gib =
      (mem ? double(mem->peak_allocated) : double(higgs::host_peak_rss_bytes())) / (1 << 30);

  // GEMM rate of the same library on the same device: the MLP up-projection shape of this batch.
  const auto& t = cfg.text_config;
  const int64_t rows = plan.batch * plan.length;
  auto a = torch::randn({rows, t.hidden_size}, torch::TensorOptions().dtype(st).device(dev));
  auto w = torch::randn({t.hidden_size, t.intermediate_size},
                        torch::TensorOptions().dtype(st).device(dev));
  double gbest = 1e30;
  for (int s = 0; s < 10; ++s) {
    sync(dev);
    const double t0 = now();
    auto c = torch::mm(a, w);
    sync(dev);
    gbest = std::min(gbest, now() - t0);
    (void)c;
  }
  const double gemm =
      2.0 * double(rows) * double(t.hidden_size) * double(t.intermediate_size) / gbest;
  const double achieved = flops.total / best;
  std::string device_name = dev.str();
  if (dev.is_cuda()) {
    for (const auto& d : higgs::cuda_devices())
      if (d["index"].get<int>() == dev.index()) device_name = d["name"].get<std::string>();
    if (peak_tflops <= 0) peak_tflops = dense_bf16_peak_tflops(device_name);
  }
  const double mfu = peak_tflops > 0 ? achieved / (peak_tflops * 1e12) : 0.0;
  if (json) {
    Json j = {{"device", device_name},
              {"threads", threads},
              {"dtype", dtype},
              {"checkpointing", ckpt},
              {"lora_r", lora_r},
              {"batch", bsz},
              {"seq", plan.length},
              {"tokens", tokens},
              {"step_s_best", best},
              {"step_s_mean", mean},
              {"tokens_per_s", tokens / best},
              {"tflop_step", flops.total / 1e12},
              {"achieved_tflops", achieved / 1e12},
              {"gemm_tflops", gemm / 1e12},
              {"peak_tflops", peak_tflops},
              {"mfu", mfu},
              {"peak_memory_gib", peak_gib},
              {"peak_memory_of", mem ? "device allocator" : "host resident set"}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "higgs_audio train step on %s (%s, %d threads%s%s): batch %d x %lld positions, %.0f "
        "tokens\n",
        device_name.c_str(), dtype.c_str(), threads, ckpt ? ", checkpointing" : "",
        lora_note.c_str(), bsz, static_cast<long long>(plan.length), tokens);
    std::printf("  step: best %.4f s, mean %.4f s -> %.1f tokens/s\n", best, mean, tokens / best);
    std::printf(
        "  %.3f TFLOP/step -> %.2f TFLOP/s achieved; torch::mm (%lldx%lldx%lld) %.2f TFLOP/s "
        "(%.0f%%)\n",
        flops.total / 1e12, achieved / 1e12, static_cast<long long>(rows),
        static_cast<long long>(t.hidden_size), static_cast<long long>(t.intermediate_size),
        gemm / 1e12, 100 * achieved / gemm);
    if (peak_tflops > 0)
      std::printf("  MFU %.1f%% of the %.1f TFLOP/s dense bf16 peak\n", 100 * mfu, peak_tflops);
    std::printf("  peak memory %.2f GiB (%s)\n", peak_gib,
                mem ? "device allocator" : "host resident set");
  }
  return 0;
}
