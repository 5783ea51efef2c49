// Zero-shot voice cloning: LoRA fine-tuning of the released Higgs Audio v2 checkpoint on your
// ChatML data (reference turn as context, target turn trained). Paths are top-level arguments.
//
//   higgs-run recipes/higgs_v2/zero_shot_lora.jsonnet \
//     --tla-str model_dir=/models/higgs-audio-v2-generation-3B-base \
//     --tla-str audio_tokenizer_dir=/models/higgs-audio-v2-tokenizer \
//     --tla-str train_file=data/train.jsonl --tla-str eval_file=data/eval.jsonl \
//     --output-dir runs/lora1 --set trainer.max_steps=2000
local higgs = import 'lib/higgs.libsonnet';

function(model_dir='models/higgs-audio-v2-generation-3B-base',
         audio_tokenizer_dir='models/higgs-audio-v2-tokenizer',
         train_file='data/train.jsonl', eval_file='data/eval.jsonl', output_dir='runs/zero_shot_lora') {
  description: 'LoRA (r=16) on attention and FFN projections of the released checkpoint.',
  seed: 42,
  output_dir: output_dir,
  text_tokenizer: { type: 'llama3_bpe', path: model_dir },
  // fp32: a bf16 encode changes frames (3 of 413 in the referee test, docs/fidelity.md).
  audio_tokenizer: { type: 'higgs_audio', path: audio_tokenizer_dir, dtype: 'float32' },
  model: { type: 'higgs_audio', path: model_dir, dtype: 'bfloat16', gradient_checkpointing: true },
  adapters: [higgs.lora_attention(r=16, alpha=32, dropout=0.05) + {
    target_modules+: ['audio_mlp.gate_proj', 'audio_mlp.up_proj', 'audio_mlp.down_proj'],
  }],
  train_data: higgs.zero_shot_data(train_file),
  eval_data: higgs.zero_shot_data(eval_file),
  collator: higgs.collator,
  optimizer: { type: 'adamw', lr: 1e-4, weight_decay: 0.0 },
  scheduler: { type: 'cosine', warmup_ratio: 0.03, min_lr_ratio: 0.1 },
  trainer: {
    epochs: 3,
    batch_size: 2,
    grad_accum_steps: 8,
    precision: 'bf16',
    log_every: 10,
    eval_every: 200,
    save_every: 200,
    keep_last: 3,
  },
}
