// Generation benchmark of the higgs_audio model on the CPU: audio frames per second of the
// decoding loop (one forward of one position per frame, audio head, sampling), with the KV cache
// and without it (the whole sequence re-run each frame: the cost a cache avoids) in the same run,
// next to real time (25 frames per second of speech). Two model sizes: the demo's tiny model
// (recipes/demo/make_tiny_model_config.py) and a larger config of the released layout.
//
//   generate_bench [--threads N] [--prompt P] [--frames F] [--only demo|large]
//
// The prompt is P expanded positions (text and reference audio, prefilled once).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "components/generation/sampling.h"
#include "components/models/higgs_audio/config.h"
#include "components/models/higgs_audio/model.h"

using higgs::Json;
using namespace higgs::higgs_audio;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Json config(int64_t hidden, int64_t layers, int64_t heads, int64_t kv, int64_t inter, int64_t vocab,
            int64_t codebook) {
  Json text = {{"hidden_size", hidden},        {"num_hidden_layers", layers},
               {"num_attention_heads", heads}, {"num_key_value_heads", kv},
               {"head_dim", hidden / heads},   {"intermediate_size", inter},
               {"hidden_act", "silu"},         {"rms_norm_eps", 1e-5},
               {"vocab_size", vocab},          {"rope_theta", 500000.0}};
  Json dual = Json::array();
  for (int64_t i = 0; i < layers; ++i) dual.push_back(i);
  return Json{{"audio_adapter_type", "dual_ffn_fast_forward"},
              {"audio_dual_ffn_layers", dual},
              {"audio_num_codebooks", 8},
              {"audio_codebook_size", codebook},
              {"audio_stream_bos_id", codebook},
              {"audio_stream_eos_id", codebook + 1},
              {"audio_in_token_idx", vocab - 4},
              {"audio_out_token_idx", vocab - 3},
              {"pad_token_id", vocab - 2},
              {"encode_audio_in_tokens", true},
              {"skip_audio_tower", true},
              {"use_delay_pattern", true},
              {"text_config", text}};
}

// Decodes `frames` frames after a `prompt`-position prefill; returns frames per second.
double decode_rate(HiggsAudioModelImpl& net, int64_t prompt, int64_t frames, bool cache_on) {
  torch::NoGradGuard ng;
  const int64_t h = net.config().text_config.hidden_size, k = net.config().audio_num_codebooks;
  auto embeds = torch::randn({1, prompt, h}) * 0.02;
  auto mask = torch::zeros({1, prompt}, torch::kBool);
  mask.slice(1, prompt / 2).fill_(true);  // second half: reference audio
  higgs::generation::SamplingOptions so;
  higgs::generation::Sampler sampler(so, 1);
  KVCache cache;
  auto hid = net.forward_cached(embeds, mask, cache).select(1, -1);
  auto all = embeds;
  auto all_mask = mask;
  auto one = torch::ones({1, 1}, torch::kBool);
  const double t0 = now();
  for (int64_t f = 0; f < frames; ++f) {
    auto frame = sampler.sample_audio(net.audio_logits(hid).view({k, -1}), at::Tensor());
    auto col = torch::tensor(frame, torch::kLong).clamp_max(net.config().audio_codebook_size + 1);
    auto e = net.embed_audio_ids(col.view({k, 1})).unsqueeze(0);
    if (cache_on) {
      hid = net.forward_cached(e, one, cache).select(1, -1);
    } else {
      all = torch::cat({all, e}, 1);
      all_mask = torch::cat({all_mask, one}, 1);
      KVCache fresh;
      hid = net.forward_cached(all, all_mask, fresh).select(1, -1);
    }
  }
  return double(frames) / (now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  int64_t prompt = 300, frames = 100;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--prompt")
      prompt = std::stoll(next());
    else if (a == "--frames")
      frames = std::stoll(next());
    else if (a == "--only")
      only = next();
    else {
      std::fprintf(
          stderr,
          "usage: generate_bench [--threads N] [--prompt P] [--frames F] [--only demo|large]\n");
      return 2;
    }
  }
  at::set_num_threads(threads);
  struct Case {
    const char* name;
    Json cfg;
  };
  const Case cases[] = {
      {"demo", config(128, 2, 4, 2, 384, 512, 256)},         // the README demo's tiny model
      {"large", config(1024, 8, 16, 4, 2816, 16384, 1024)},  // released layout, ~1/3 width
  };
  std::printf("CPU threads %d, prompt %lld positions, %lld frames; real time = 25 frames/s\n",
              threads, static_cast<long long>(prompt), static_cast<long long>(frames));
  std::printf("%-6s %12s %14s %14s %9s %12s\n", "model", "params", "cache fr/s", "no-cache fr/s",
              "speedup", "x real time");
  for (const auto& c : cases) {
    if (!only.empty() && only != c.name) continue;
    auto cfg = higgs::HiggsAudioConfig::from_json(c.cfg, std::string(c.name) + " bench config");
    HiggsAudioModelImpl net(cfg);
    net.init_weights(1, 0.02);
    net.eval();
    int64_t params = 0;
    for (const auto& p : net.parameters()) params += p.numel();
    decode_rate(net, prompt, 3, true);  // warm-up
    const double with = decode_rate(net, prompt, frames, true);
    const double without = decode_rate(net, prompt, frames, false);
    std::printf("%-6s %12lld %14.1f %14.1f %8.1fx %11.2fx\n", c.name,
                static_cast<long long>(params), with, without, with / without, with / 25.0);
    std::fflush(stdout);
  }
  return 0;
}
