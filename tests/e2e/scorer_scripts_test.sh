#!/usr/bin/env bash
# The command-scorer scripts for paper-grade numbers, each with a stand-in for its model (the real
# ones need models this project does not download):
#  - Whisper WER (scripts/scorers/whisper_wer.py, recipes/lib/whisper_wer.libsonnet): a
#    faster_whisper module on PYTHONPATH whose WhisperModel records the model path it was given and
#    "hears" a fixed text; checks the request handling, normalisation and error rates;
#  - WavLM speaker similarity (scripts/scorers/speaker_similarity_wavlm.py,
#    recipes/lib/speaker_similarity_wavlm.libsonnet): a transformers module whose WavLMForXVector
#    embeds a clip by its level statistics; checks the cosine of a clip with itself is 1 and with
#    another clip less.
# Each fragment must name its real script.
#   scorer_scripts_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
work=$build/test_tmp/e2e-scorer-scripts
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

# WavLM speaker similarity with a stand-in transformers.
mkdir -p "$work/fake_tf/transformers"
cat > "$work/fake_tf/transformers/__init__.py" <<'PY'
import json, os
import torch
class _Out:
    def __init__(self, e): self.embeddings = e
class AutoFeatureExtractor:
    @staticmethod
    def from_pretrained(path):
        with open(os.environ["FAKE_WAVLM_LOG"], "w") as f: json.dump({"model": path}, f)
        return AutoFeatureExtractor()
    def __call__(self, wavs, sampling_rate, padding, return_tensors):
        assert sampling_rate == 16000
        n = max(len(w) for w in wavs)
        x = torch.zeros(len(wavs), n)
        for i, w in enumerate(wavs): x[i, :len(w)] = torch.as_tensor(w)
        return {"input_values": x}
class WavLMForXVector:
    @staticmethod
    def from_pretrained(path): return WavLMForXVector()
    def eval(self): return self
    def __call__(self, input_values):
        x = input_values
        return _Out(torch.stack([x.abs().mean(1), x.std(1), x.diff(dim=1).abs().mean(1)], 1))
PY
cmd=$(cd "$work" && jsonnet -J "$src/recipes" -e "(import 'lib/speaker_similarity_wavlm.libsonnet')('/models/wavlm-base-plus-sv', python='$py')")
script=$("$py" -c "import json,sys; c=json.loads(sys.argv[1])['command']; print(c[1]); assert c[2:4]==['--model','/models/wavlm-base-plus-sv'], c" "$cmd")
[[ -f $script ]] || { echo "the fragment names $script, which does not exist"; exit 1; }
"$py" - "$work" <<'PY'
import sys, numpy as np, soundfile
w = sys.argv[1]
t = np.arange(24000) / 24000
soundfile.write(f"{w}/tone.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype("float32"), 24000)
soundfile.write(f"{w}/noise.wav", (0.05 * np.random.default_rng(1).standard_normal(16000)).astype("float32"), 16000)
PY
for ref in tone noise; do
  echo "{\"wav\": \"$work/tone.wav\", \"text\": \"x\", \"ref_audio\": [\"$work/$ref.wav\"], \"ref_text\": [\"x\"], \"sample_rate\": 24000}" |
    FAKE_WAVLM_LOG=$work/out-wavlm.json PYTHONPATH=$work/fake_tf "$py" "$script" --model /models/wavlm-base-plus-sv > "$work/out-$ref.txt"
done
"$py" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
same = json.loads(open(f"{w}/out-tone.txt").read().strip().splitlines()[-1])["sim"]
other = json.loads(open(f"{w}/out-noise.txt").read().strip().splitlines()[-1])["sim"]
assert json.load(open(f"{w}/out-wavlm.json")) == {"model": "/models/wavlm-base-plus-sv"}
assert abs(same - 1.0) < 1e-5 and other < 0.99, (same, other)
print(f"wavlm speaker similarity (stand-in model): itself {same:.4f}, another clip {other:.4f}")
PY
