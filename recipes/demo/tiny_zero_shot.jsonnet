// The embedded demo: the real zero-shot voice-cloning pipeline at toy size, trained from scratch
// in a few minutes on 2 CPU cores. Data, tokenizer and model configs are made by scripts/demo.sh:
// espeak-ng voices as speakers, a sentencepiece model with the Higgs special tokens, a randomly
// initialised tiny Higgs audio tokenizer and a tiny Higgs Audio model of the released architecture.
// Trained as a fine-tune would be: LoRA on every projection of the decoder layers, and, since the
// tiny model starts from random weights, its embeddings and output heads trained in full
// (modules_to_save). The run directory's final/ holds the adapter in PEFT's layout;
// `higgs-run export demo_runs/run --out demo_runs/merged` merges it into a full checkpoint.
//
//   bash scripts/demo.sh                                      # makes everything, then runs this
//   build/higgs-run recipes/demo/tiny_zero_shot.jsonnet --set trainer.max_steps=20
//   build/higgs-run recipes/demo/tiny_zero_shot.jsonnet --tla-str demo_dir=/tmp/demo
local higgs = import 'lib/higgs.libsonnet';

function(demo_dir='demo_runs') {
  description: 'Tiny Higgs Audio v2 trained on espeak-ng voices (the README demo).',
  seed: 17,
  output_dir: demo_dir + '/run',
  threads: 0,
  text_tokenizer: { type: 'sentencepiece', path: demo_dir + '/data/spm.model' },
  audio_tokenizer: { type: 'higgs_audio', path: demo_dir + '/audio_tokenizer' },
  model: { type: 'higgs_audio', path: demo_dir + '/model', init: 'random' },
  train_data: higgs.zero_shot_data(demo_dir + '/data/train.jsonl'),
  eval_data: higgs.zero_shot_data(demo_dir + '/data/eval.jsonl'),
  collator: higgs.collator,
  adapters: [{
    type: 'lora',
    r: 16,
    alpha: 32,
    dropout: 0.0,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    modules_to_save: ['embed_tokens', 'audio_codebook_embeddings', 'audio_decoder_proj'],
  }],
  optimizer: { type: 'adamw', lr: 2e-3, weight_decay: 0.01 },
  scheduler: { type: 'cosine', warmup_steps: 10, min_lr_ratio: 0.1 },
  trainer: {
    max_steps: 150,
    batch_size: 4,
    log_every: 10,
    eval_every: 50,
    save_every: 50,
    keep_last: 2,
    num_workers: 2,
  },
}
