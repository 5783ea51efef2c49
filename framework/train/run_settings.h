// What every process of a run knows before any component is built: the recipe's seed and device
// and where this process sits in a data-parallel launch. Components that depend on them (the
// model's device, the audio tokenizer's device, main-rank-only logging) receive them explicitly.
#pragma once

#include <cstdint>
#include <string>

namespace higgs {

/// Distributed placement of this process (world_size 1 when not launched by torchrun).
struct ProcessPlacement {
  int rank = 0, world_size = 1, local_rank = 0;
  bool is_main() const { return rank == 0; }
};

/// The recipe's run-wide settings as components see them.
struct RunSettings {
  int64_t seed = 0;
  std::string device = "cpu";  // the recipe's `device`: cpu, cuda or auto
  ProcessPlacement placement;
};

}  // namespace higgs
