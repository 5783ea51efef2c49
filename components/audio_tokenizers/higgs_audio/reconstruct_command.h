// `higgs-run reconstruct`: encodes one audio file with a Higgs audio tokenizer and decodes it
// again, so a user can listen to what the codes keep (the CLI wiring lives in app/cli).
#pragma once

#include <iosfwd>
#include <string>

namespace higgs {

struct ReconstructArgs {
  std::string audio_tokenizer;  // directory: config.json + model.safetensors or model.pth
  std::string in;               // any file libsndfile reads; downmixed and resampled to 24 kHz
  std::string out;              // 24 kHz mono; container from the extension (.wav = 16-bit PCM)
  std::string codes_out;        // optional: codes as safetensors, "codes" int64 (n_q, T)
  std::string device = "cpu";
  std::string dtype = "float32";
};

/// Returns the process exit code: 0 done, 1 the tokenizer or audio could not be used.
int run_reconstruct_command(const ReconstructArgs& args, std::ostream& out, std::ostream& err);

}  // namespace higgs
