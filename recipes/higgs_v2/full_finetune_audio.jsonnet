// Full fine-tuning of the audio path of Higgs Audio v2: the Llama backbone (attention, text FFN,
// their norms, the final norm) is frozen as the reference freeze_llm() does; the audio FFNs, audio
// norms, codebook embeddings and audio head train in fp32 master weights with bf16 autocast.
//
//   higgs-run recipes/higgs_v2/full_finetune_audio.jsonnet \
//     --tla-str model_dir=/models/higgs-audio-v2-generation-3B-base \
//     --tla-str audio_tokenizer_dir=/models/higgs-audio-v2-tokenizer \
//     --tla-str train_file=data/train.jsonl --output-dir runs/audio_ft
local higgs = import 'lib/higgs.libsonnet';

function(model_dir='models/higgs-audio-v2-generation-3B-base',
         audio_tokenizer_dir='models/higgs-audio-v2-tokenizer',
         train_file='data/train.jsonl', eval_file='data/eval.jsonl', output_dir='runs/full_finetune_audio') {
  description: 'Train the audio path only (freeze_llm), bf16 autocast.',
  seed: 42,
  output_dir: output_dir,
  text_tokenizer: { type: 'llama3_bpe', path: model_dir },
  // fp32: a bf16 encode changes frames (3 of 413 in the referee test, docs/fidelity.md).
  audio_tokenizer: { type: 'higgs_audio', path: audio_tokenizer_dir, dtype: 'float32' },
  model: { type: 'higgs_audio', path: model_dir, dtype: 'float32', gradient_checkpointing: true },
  freezing: [{ type: 'freeze_modules', groups: ['llm', 'embeddings', 'text_head'] }],
  train_data: higgs.zero_shot_data(train_file),
  eval_data: higgs.zero_shot_data(eval_file),
  collator: higgs.collator,
  optimizer: { type: 'adamw', lr: 2e-5, weight_decay: 0.01 },
  scheduler: { type: 'linear', warmup_steps: 100 },
  trainer: { epochs: 2, batch_size: 1, grad_accum_steps: 16, precision: 'bf16', eval_every: 500, save_every: 500 },
}
