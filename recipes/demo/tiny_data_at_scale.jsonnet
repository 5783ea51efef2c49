// The demo with the data features of a large run: two datasets mixed by weight (the demo's
// English and German speakers), filters on durations and speaking rate, augmented references
// (noise, a room, a telephone band now and then, speed), and token-budget batches. Evaluation
// reports each dataset and each language apart (eval/dataset/de/loss, eval/language/de/loss).
//
//   bash scripts/demo.sh                   # makes demo_runs/ (data, tokenizers, model config)
//   build/higgs-run data-check recipes/demo/tiny_data_at_scale.jsonnet   # filters, padding
//   build/higgs-run pretokenize recipes/demo/tiny_data_at_scale.jsonnet  # codes of 4 variants
//   build/higgs-run recipes/demo/tiny_data_at_scale.jsonnet
local demo = import 'tiny_zero_shot.jsonnet';
local higgs = import 'lib/higgs.libsonnet';

function(demo_dir='demo_runs')
  local data = demo_dir + '/data/';
  // The same filters on both datasets: a target of 1 to 20 s whose transcript is spoken at 4 to
  // 30 characters a second (outside that, the transcript is likely wrong), a reference that is
  // not the target itself.
  local filtered(path, name) = higgs.zero_shot_data(path) + {
    name: name,
    min_target_seconds: 1.0,
    max_target_seconds: 20.0,
    min_chars_per_second: 4,
    max_chars_per_second: 30,
    drop_reference_equal_to_target: true,
  };
  demo(demo_dir) + {
    description: 'Tiny Higgs Audio v2: two mixed datasets, filters, augmented references, token budgets.',
    output_dir: demo_dir + '/run_data_at_scale',
    train_data:: null,
    eval_data:: null,
    train_mix: [filtered(data + 'train_en.jsonl', 'en'), filtered(data + 'train_de.jsonl', 'de')],
    eval_mix: [filtered(data + 'eval_en.jsonl', 'en'), filtered(data + 'eval_de.jsonl', 'de')],
    // German is a quarter of the examples; drawn as often as English.
    sampler: { type: 'token_budget', max_tokens_per_batch: 1600, buckets: 4, mix_weights: [1, 1] },
    reference_augmentation: [
      { type: 'noise', snr_db: [15, 30], probability: 0.5 },
      { type: 'reverb', rt60_seconds: [0.2, 0.6], wet: [0.2, 0.5], probability: 0.3 },
      { type: 'band_limit', probability: 0.2 },
      { type: 'speed', factors: [0.95, 1.0, 1.05] },
    ],
  }
