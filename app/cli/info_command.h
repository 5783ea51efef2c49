// `higgs-run info`: this build and this machine (version, LibTorch, CUDA and its devices, cuDNN,
// distributed backends, threads), as text or JSON.
#pragma once

#include <ostream>
#include <string>

namespace higgs::cli {

int print_info(bool json, std::ostream& out);

/// What `higgs-run --version`, `-V` and `higgs-run version` print: "higgs-run 0.1.0 (git REV)",
/// then the LibTorch it runs on and whether it was built with CUDA (and which runtime).
std::string version_text();

}  // namespace higgs::cli
