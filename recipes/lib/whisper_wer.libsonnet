// A `command` scorer that runs Whisper on every generated clip (scripts/scorers/whisper_wer.py):
// WER and CER comparable with Seed-TTS-eval's (Whisper-large-v3 for English). The model is a
// local path: nothing is downloaded.
//
//   scorers: [(import 'lib/whisper_wer.libsonnet')('/models/whisper-large-v3')],
//   scorers: [(import 'lib/whisper_wer.libsonnet')('/models/whisper-large-v3', python='.venv/bin/python', language='en')],
local parts = std.split(std.thisFile, '/');
local here = std.join('/', parts[:std.length(parts) - 1]);  // recipes/lib, as the importer saw it
function(model, python='python3', language='en', timeout_s=300) {
  type: 'command',
  command: [python, here + '/../../scripts/scorers/whisper_wer.py', '--model', model,
            '--language', language],
  timeout_s: timeout_s,
}
