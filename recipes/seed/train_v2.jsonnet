// The seed trainer (train_v2.py) as a recipe: its command-line arguments are top-level arguments,
// and its settings are reproduced, including Whisper conditioning ON and the delay pattern OFF.
// NOTE: this recipe trains a layout the released inference does not use, on purpose: the released
// checkpoint was trained with the delay pattern and has no Whisper tower, and Boson's inference
// decodes delay-patterned codes and never computes Whisper features. A model trained with this
// recipe will not generate what it was trained on with Boson's code. Such a mismatch is a recipe
// error unless the collator says `train_unreleased_layout: true`, as here (higgs-run then warns);
// recipes/higgs_v2/zero_shot_lora.jsonnet is the aligned alternative. With the released config.json (skip_audio_tower: true) the Whisper
// features are computed and ignored, as in the seed; a model_path whose config.json has
// skip_audio_tower: false gets the audio tower, and the features reach the loss.
//
//   higgs-run recipes/seed/train_v2.jsonnet --tla-str model_path=... --tla-str audio_tokenizer_path=... \
//     --tla-str train_data_file=... --tla-str eval_data_file=... --tla-str output_dir=... \
//     --tla-code num_train_epochs=3 --tla-code per_device_train_batch_size=4 \
//     --tla-code learning_rate=5e-5 --tla-code use_lora=true --tla-code lora_rank=16 \
//     --tla-code lora_alpha=32 --tla-code lora_dropout=0.05
function(model_path='models/higgs-audio-v2-generation-3B-base',
         audio_tokenizer_path='models/higgs-audio-v2-tokenizer',
         train_data_file='data/train.json', eval_data_file='data/eval.json', output_dir='runs/seed_train_v2',
         num_train_epochs=3, per_device_train_batch_size=4, learning_rate=5e-5,
         use_lora=true, lora_rank=16, lora_alpha=32, lora_dropout=0.05) {
  description: 'Settings of the seed train_v2.py (Whisper on, delay pattern off).',
  seed: 42,
  output_dir: output_dir,
  text_tokenizer: { type: 'llama3_bpe', path: model_path },
  audio_tokenizer: { type: 'higgs_audio', path: audio_tokenizer_path },
  feature_extractor: { type: 'whisper_log_mel', n_mels: 128 },
  model: { type: 'higgs_audio', path: model_path, dtype: 'bfloat16' },
  adapters: if use_lora then [{
    type: 'lora', r: lora_rank, alpha: lora_alpha, dropout: lora_dropout,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
  }] else [],
  train_data: { type: 'zero_shot_voice_cloning', path: train_data_file, load_waveforms: true },
  eval_data: { type: 'zero_shot_voice_cloning', path: eval_data_file, load_waveforms: true },
  collator: {
    type: 'higgs_audio', encode_whisper_embed: true, use_delay_pattern: false,
    return_audio_in_tokens: false, round_to: 1,
    train_unreleased_layout: true,  // the seed's settings, knowingly unlike the released inference
  },
  optimizer: { type: 'adamw', lr: learning_rate, weight_decay: 0.01 },
  scheduler: { type: 'linear', warmup_steps: 100 },
  trainer: { epochs: num_train_epochs, batch_size: per_device_train_batch_size, precision: 'bf16' },
}
