// Shared pieces of higgs-train recipes. Import with `local higgs = import 'lib/higgs.libsonnet';`.
{
  // The collator as the released checkpoint needs it: delay pattern on, no Whisper features,
  // audio-in codes returned, sequences padded to a multiple of 8.
  collator:: { type: 'higgs_audio', use_delay_pattern: true, encode_whisper_embed: false, round_to: 8 },

  // Zero-shot voice-cloning data: the reference turn is context, only the target is trained.
  zero_shot_data(path):: { type: 'zero_shot_voice_cloning', path: path },

  // LoRA on the attention projections, as earlier trainers did.
  lora_attention(r=16, alpha=32, dropout=0.05):: {
    type: 'lora',
    r: r,
    alpha: alpha,
    dropout: dropout,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
  },
}
