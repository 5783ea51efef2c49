// `higgs-run info`: this build and this machine (version, LibTorch, CUDA and its devices, cuDNN,
// distributed backends, threads), as text or JSON.
#pragma once

#include <ostream>

namespace higgs::cli {

int print_info(bool json, std::ostream& out);

}  // namespace higgs::cli
