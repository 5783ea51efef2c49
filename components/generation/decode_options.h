// The decoding options shared by the `generate` task and the `listen_samples` callback, as they
// appear in recipes, and their conversion to GenerateOptions.
#pragma once

#include <cstdint>
#include <optional>

#include "components/generation/generator.h"

namespace higgs {
class Binder;
}

namespace higgs::generation {

struct DecodeOptions {
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 0.95;
  int64_t ras_window = 7;
  int64_t ras_max_repeat = 2;
  std::optional<int64_t> seed;
  int64_t max_frames = 1500;
  int64_t max_text_tokens = 32;
  bool force_audio = false;
  bool use_cache = true;
  int64_t chunk_words = 0;
  int64_t chunk_history = -1;
  bool continue_after_audio_eos = false;

  /// Declares the options (examples/generation.py defaults).
  static void bind(Binder& b, DecodeOptions& o);
  GenerateOptions to_generate_options(int64_t recipe_seed) const;
};

}  // namespace higgs::generation
