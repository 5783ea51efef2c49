// A `command` scorer of speaker similarity by a WavLM speaker-verification model
// (scripts/scorers/speaker_similarity_wavlm.py), closer to Seed-TTS-eval's SIM than the built-in
// GE2E `speaker_similarity`. The model is a local transformers checkpoint of WavLMForXVector.
//
//   scorers: [(import 'lib/speaker_similarity_wavlm.libsonnet')('/models/wavlm-base-plus-sv', python='.venv/bin/python')],
local parts = std.split(std.thisFile, '/');
local here = std.join('/', parts[:std.length(parts) - 1]);  // recipes/lib, as the importer saw it
function(model, python='python3', timeout_s=300) {
  type: 'command',
  command: [python, here + '/../../scripts/scorers/speaker_similarity_wavlm.py', '--model', model],
  timeout_s: timeout_s,
}
