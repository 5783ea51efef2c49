// The demo with quality in the loop (docs/metrics.md): at each evaluation listen_samples speaks a
// held-out prompt in a demo voice, the asr scorer (PocketSphinx) and the speaker_similarity scorer
// (resemblyzer's GE2E weights) score it, and the means join the eval metrics (eval/wer, eval/sim,
// eval/speech_fraction, ...) that metrics.jsonl, TensorBoard and `higgs-run report` show.
//
//   build/higgs-run recipes/demo/tiny_zero_shot_scored.jsonnet \
//     --tla-str speaker_weights=$(.venv-referee/bin/python -c 'import resemblyzer, os; print(os.path.dirname(resemblyzer.__file__))')/pretrained.pt
//   build/higgs-run report demo_runs/run && xdg-open demo_runs/run/report.html
//
// speaker_weights is required to train (the scorer says so when it is empty).
// The tiny model's clips are noise: WER near 1 and speech fraction near 0 are the right answer
// here (docs/metrics.md, "What the demo's numbers mean").
local demo = import 'tiny_zero_shot.jsonnet';

function(demo_dir='demo_runs', speaker_weights='', ref='data/audio/spk0_00.wav',
         ref_text='The happy baker looks at the lazy dog every morning.')
  demo(demo_dir) {
    description: 'The README demo with listen_samples, the asr and speaker_similarity scorers and TensorBoard.',
    scorers: [{ type: 'asr' }, { type: 'speaker_similarity', weights: speaker_weights }],
    callbacks: [
      {
        type: 'listen_samples',
        every: 0,
        with_eval: true,
        force_audio: true,
        max_frames: 120,
        prompts: [{ name: 'hello', text: 'Hello there, how are you today?', language: 'en',
                    speaker: 'spk0', ref_audio: demo_dir + '/' + ref, ref_text: ref_text }],
      },
      { type: 'tensorboard' },
    ],
  }
