#include <torch/torch.h>

#include "components/audio_tokenizers/higgs_audio/reconstruct_command.h"

#include <chrono>
#include <cstdio>
#include <ostream>

#include "components/audio/audio_io.h"
#include "components/audio_tokenizers/higgs_audio/higgs_audio.h"
#include "framework/tensor_io/safetensors.h"

namespace higgs {
namespace {

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

}  // namespace

int run_reconstruct_command(const ReconstructArgs& args, std::ostream& out, std::ostream& err) {
  try {
    HiggsAudioTokenizer::Options o;
    o.path = args.audio_tokenizer;
    o.device = args.device;
    o.dtype = args.dtype;
    HiggsAudioTokenizer tok(o, RunSettings{});
    const auto rate = static_cast<int>(tok.sample_rate());

    LoadAudioOptions lo;
    lo.target_sample_rate = rate;
    AudioBuffer in = load_audio(args.in, lo);
    out << args.in << ": " << seconds(double(in.samples.size()) / rate) << " ("
        << in.source_channels << " channel(s) at " << in.source_sample_rate << " Hz; "
        << in.samples.size() << " samples at " << rate << " Hz)\n";

    torch::NoGradGuard no_grad;
    auto t0 = std::chrono::steady_clock::now();
    at::Tensor wave = torch::from_blob(in.samples.data(), {static_cast<int64_t>(in.samples.size())},
                                       torch::kFloat32);
    at::Tensor codes = tok.encode(wave).to(torch::kCPU, torch::kLong).contiguous();
    auto t1 = std::chrono::steady_clock::now();
    at::Tensor decoded = tok.decode(codes).to(torch::kCPU, torch::kFloat).contiguous();
    auto t2 = std::chrono::steady_clock::now();
    const int64_t frames = codes.size(1);
    out << "codes: " << codes.size(0) << " x " << frames << " frames ("
        << seconds(double(frames * tok.hop_length()) / rate) << " at "
        << double(rate) / double(tok.hop_length()) << " frames/s), encoded in "
        << seconds(std::chrono::duration<double>(t1 - t0).count()) << ", decoded in "
        << seconds(std::chrono::duration<double>(t2 - t1).count()) << "\n";

    std::vector<float> samples(decoded.data_ptr<float>(),
                               decoded.data_ptr<float>() + decoded.numel());
    save_audio(args.out, samples, rate);
    out << args.out << ": " << samples.size() << " samples, "
        << seconds(double(samples.size()) / rate) << " at " << rate << " Hz\n";
    if (!args.codes_out.empty()) {
      tensor_io::save_safetensors(args.codes_out, {{"codes", codes}},
                                  {{"tokenizer", tok.identity()}, {"source", args.in}});
      out << args.codes_out << ": codes int64 [" << codes.size(0) << ", " << frames << "]\n";
    }
    return 0;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace higgs
