// Task `export`: a trained run as a checkpoint others can load. Either the base model with every
// LoRA merged in, written in the released layout (config.json + sharded safetensors +
// model.safetensors.index.json), or the adapter alone in PEFT's layout.
//
//   higgs-run export RUN_DIR --out DIR [--adapter-only] [--max-shard-size 2GB] [--checkpoint best]
//   task: { type: 'export', from: 'runs/demo', out: 'runs/demo/export', adapter_only: false }
//
// See docs/callbacks-and-export.md.
#pragma once

#include <cstdint>
#include <string>

namespace higgs {

/// "5GB", "500MB", "2GiB", "1000000" -> bytes (GB = 10^9 as in Hugging Face, GiB = 2^30).
uint64_t parse_byte_size(const std::string& text, const std::string& what);

}  // namespace higgs
