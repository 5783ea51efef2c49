#include "components/generation/decode_options.h"

#include "framework/config/options.h"

namespace higgs::generation {

void DecodeOptions::bind(Binder& b, DecodeOptions& o) {
  b.opt("temperature", o.temperature, "Sampling temperature; 0 = greedy (argmax).").min(0.0);
  b.opt("top_k", o.top_k, "Keep the k most likely tokens/codes before sampling; 0 = off.").min(0);
  b.opt("top_p", o.top_p, "Nucleus sampling: keep the smallest set with this probability.")
      .min(0.0)
      .max(1.0);
  b.opt("ras_window", o.ras_window,
        "Repetition-aware sampling: frames looked back per codebook; 0 = off.")
      .min(0);
  b.opt("ras_max_repeat", o.ras_max_repeat,
        "RAS: a code seen this often in the window is redrawn from the raw distribution.")
      .min(1);
  b.opt("seed", o.seed, "Sampling seed (default: the recipe's seed).");
  b.opt("max_frames", o.max_frames,
        "Length limit per chunk in audio frames (25 per second, delay-pattern columns incl.).")
      .min(2);
  b.opt("max_text_tokens", o.max_text_tokens,
        "Text tokens allowed before the model starts audio (<|audio_out_bos|>).")
      .min(1);
  b.opt("force_audio", o.force_audio,
        "Append <|audio_out_bos|> to the prompt instead of letting the model emit it.");
  b.opt("use_cache", o.use_cache, "KV cache; false re-runs the whole sequence every step.")
      .flag("no-cache");
  b.opt("chunk_words", o.chunk_words,
        "Split texts longer than this many words into chunks (at sentence ends); 0 = never.")
      .min(0);
  b.opt("chunk_history", o.chunk_history, "Earlier generated chunks kept as context; -1 = all.")
      .min(-1);
  b.opt("continue_after_audio_eos", o.continue_after_audio_eos,
        "As the reference's generate: after <|audio_eos|> go on in text mode until <|eot_id|>, "
        "opening further audio segments when the model emits <|audio_out_bos|>; off = one "
        "utterance per chunk.");
}

GenerateOptions DecodeOptions::to_generate_options(int64_t recipe_seed) const {
  GenerateOptions g;
  g.sampling.temperature = temperature;
  g.sampling.top_k = top_k;
  g.sampling.top_p = top_p;
  g.sampling.ras_window = ras_window;
  g.sampling.ras_max_repeat = ras_max_repeat;
  g.seed = static_cast<uint64_t>(seed.value_or(recipe_seed));
  g.max_frames = max_frames;
  g.max_text_tokens = max_text_tokens;
  g.force_audio = force_audio;
  g.use_cache = use_cache;
  g.chunk_words = chunk_words;
  g.chunk_history = chunk_history;
  g.continue_after_audio_eos = continue_after_audio_eos;
  return g;
}

}  // namespace higgs::generation
