#!/usr/bin/env bash
# The Whisper scorer for paper-grade WER (scripts/scorers/whisper_wer.py through the command
# scorer, recipes/lib/whisper_wer.libsonnet) with a stand-in for Whisper: a faster_whisper module
# on PYTHONPATH whose WhisperModel records the model path it was given and "hears" a fixed text.
# Checks the fragment names the real script, and the script's request handling, normalisation
# and error rates. Real Whisper needs a model this project does not download.
#   whisper_scorer_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
work=$build/test_tmp/e2e-whisper-scorer
mkdir -p "$work/fake/faster_whisper" && rm -rf "${work:?}"/out*
cat > "$work/fake/faster_whisper/__init__.py" <<'PY'
import json, os
class _Segment:
    def __init__(self, text): self.text = text
class WhisperModel:
    def __init__(self, model, device="auto"):
        self.model = model
    def transcribe(self, wav, language=None, beam_size=None):
        with open(os.environ["FAKE_WHISPER_LOG"], "w") as f:
            json.dump({"model": self.model, "wav": wav, "language": language}, f)
        return [_Segment(" The quick brown fox,"), _Segment(" jumped over the dog!")], None
PY
# The fragment, from a recipe directory as higgs-run resolves it (-J recipes): the script exists.
cmd=$(cd "$work" && jsonnet -J "$src/recipes" -e "(import 'lib/whisper_wer.libsonnet')('/models/whisper-large-v3', python='$py')")
script=$("$py" -c "import json,sys; c=json.loads(sys.argv[1])['command']; print(c[1]); assert c[2:4]==['--model','/models/whisper-large-v3'], c" "$cmd")
[[ -f $script ]] || { echo "the fragment names $script, which does not exist"; exit 1; }
echo '{"wav": "/tmp/x.wav", "text": "The quick brown fox jumps over the lazy dog.", "ref_audio": [], "ref_text": [], "sample_rate": 24000}' |
  FAKE_WHISPER_LOG=$work/out-log.json PYTHONPATH=$work/fake "$py" "$script" --model /models/whisper-large-v3 > "$work/out.txt"
"$py" - "$work/out.txt" "$work/out-log.json" <<'PY'
import json, sys
got = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
log = json.load(open(sys.argv[2]))
assert log == {"model": "/models/whisper-large-v3", "wav": "/tmp/x.wav", "language": "en"}, log
# reference: the quick brown fox jumps over the lazy dog (9 words)
# heard:     the quick brown fox jumped over the dog      (8): 1 substitution + 1 deletion
assert got["asr_text"] == "the quick brown fox jumped over the dog", got
assert abs(got["wer"] - 2 / 9) < 1e-12, got
print("whisper scorer (stand-in engine):", got)
PY
