#!/usr/bin/env bash
# End to end: train the README demo briefly (with the listen_samples callback), then
# `higgs-run generate RUN_DIR` clones a demo voice: a 24 kHz WAV, its codes and a report, and a
# message saying whether decoding stopped by itself or hit the length limit. Also runs the task
# from the recipe itself (no run directory) and a JSONL of jobs.
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-generate
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")   # shared, made once under a lock
# A reference clip and its transcript from the demo data (speaker 0's reference turn).
read -r ref ref_text < <("$py" - "$demo/data/train.jsonl" <<'PY'
import json, os, sys
s = json.loads(open(sys.argv[1]).readline())
print(os.path.join(os.path.dirname(sys.argv[1]), s["messages"][2]["content"]["audio_url"]), s["messages"][1]["content"])
PY
)
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
# listen_samples every 4 steps and at each evaluation (its quality measures become eval/ metrics),
# audio forced so that there is a clip to measure; tensorboard writes both into the run directory.
listen="[{\"type\":\"listen_samples\",\"every\":4,\"with_eval\":true,\"force_audio\":true,\"max_frames\":40,\"prompts\":[{\"name\":\"hello\",\"text\":\"Hello there.\",\"ref_audio\":\"$ref\",\"ref_text\":\"$ref_text\"}]},{\"type\":\"tensorboard\"}]"

# 1. A short training run that listens to itself every 4 steps and evaluates at 4 and 8.
"$run" "$recipe" --tla-str demo_dir="$demo" --threads 1 --output-dir "$work/run" --set trainer.max_steps=8 \
  --set trainer.save_every=0 --set trainer.eval_every=4 --set trainer.log_every=1 --set trainer.progress_bar=false \
  --set "callbacks=$listen" > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
# Each step has a report and a summary with the WAV the forced audio made.
for s in 4 8; do
  d=$work/run/samples/step-$s
  [[ -f $d/hello.json && -f $d/summary.json && -f $d/hello.wav ]] || { echo "missing samples/step-$s"; cat "$work/train.log"; exit 1; }
  grep -q "listen_samples step $s: .*hello.wav: .* s (.* frames), .*stop.*RTF.*, speech [0-9]*%, .* dBFS" "$work/train.log"
  grep -q "listen_samples step $s: 1 sample(s): " "$work/train.log"
done
# The quality measures: in each report, as eval/ metrics at each evaluation (listened once per
# step), and in TensorBoard with the clips (read back by TensorBoard's own EventAccumulator).
"$py" - "$work/run" <<'PY'
import json, sys
run = sys.argv[1]
for s in (4, 8):
    q = json.load(open(f"{run}/samples/step-{s}/hello.json"))["quality"]
    assert 0 <= q["speech_fraction"] <= 1 and q["rms_dbfs"] <= q["peak_dbfs"] <= 0, q
    assert abs(q["speech_s"] + q["non_speech_s"] - json.load(open(f"{run}/samples/step-{s}/hello.json"))["duration_s"]) < 0.03, q
evals = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if "eval/loss" in l]
assert sorted({e["step"] for e in evals}) == [4, 8], evals  # the final evaluation repeats step 8
for e in evals:
    q = json.load(open(f"{run}/samples/step-{e['step']}/hello.json"))["quality"]
    assert e["eval/with_audio_fraction"] == 1.0, e
    assert abs(e["eval/speech_fraction"] - q["speech_fraction"]) < 1e-12, (e, q)
    assert "eval/stop_rate" in e and "eval/problem_fraction" in e and "eval/rms_dbfs" in e, e
print("listen_samples eval metrics:", {k: round(v, 3) for k, v in evals[-1].items() if k.startswith("eval/") and "_cb" not in k})
PY
[[ $(grep -c "listen_samples step 4: 1 sample(s)" "$work/train.log") -eq 1 ]] || { echo "step 4 listened twice"; exit 1; }
referee_py=${HIGGS_REFEREE_PYTHON:-$src/.venv-referee/bin/python}
"$referee_py" "$src/tests/python/read_tfevents.py" "$work/run/tensorboard" > "$work/tb.json"
"$py" - "$work/tb.json" <<'PY'
import json, sys
tb = json.load(open(sys.argv[1]))
loss = tb["scalars"]["train/loss"]
assert [s for s, _ in loss] == list(range(1, 9)), loss
assert [s for s, _ in tb["scalars"]["eval/speech_fraction"]] == [4, 8], tb["scalars"].keys()
assert [s for s, _ in tb["scalars"]["lr"]] == list(range(1, 9))
assert [a["step"] for a in tb["audio"]["samples/hello"]] == [4, 8], tb["audio"]
assert all(a["sample_rate"] == 24000 and a["content_type"] == "audio/wav" for a in tb["audio"]["samples/hello"])
assert [t[0] for t in tb["text"]["samples/hello"]] == [4, 8] and tb["text"]["samples/hello"][0][1].startswith("Hello there.")
assert [h["step"] for h in tb["histograms"]["lora/A_norm"]] == [4, 8] and tb["histograms"]["lora/A_norm"][0]["num"] > 0
print("tensorboard:", len(tb["scalars"]), "scalar tags,", len(tb["audio"]["samples/hello"]), "clips")
PY

# 2. generate on the finished run directory. A model this briefly trained may end its turn before
# any audio: then nothing is written, the message says why and the exit status is 1.
rc=0
"$run" generate "$work/run" --ref-audio "$ref" --ref-text "$ref_text" --text "The quick brown fox." \
  --out "$work/out.wav" --max-frames 60 --temperature 0.7 --threads 1 > "$work/gen.log" 2>&1 || rc=$?
cat "$work/gen.log"
grep -q "loaded .* trainable tensors from .*checkpoint-8" "$work/gen.log"
grep -q "1 sample(s): " "$work/gen.log"
if [[ $rc == 1 ]]; then
  grep -Eq "out.wav: NO AUDIO, nothing written \((text_end|max_text_tokens)\)" "$work/gen.log"
  grep -q "1 without audio" "$work/gen.log"
  [[ ! -e $work/out.wav && ! -e $work/out.codes.safetensors ]]
  "$py" -c "import json,sys; r=json.load(open(sys.argv[1])); assert not r['audio_written'] and r['frames']==0, r" "$work/out.json"
else
  [[ $rc == 0 ]] || { echo "generate exited with $rc"; exit 1; }
  grep -Eq "out.wav: .* s \(.* frames\), (stopped by itself \(audio_eos\)|did NOT stop by itself \(max_frames\))" "$work/gen.log"
  "$py" - "$work" <<'PY'
import json, sys, wave
w = sys.argv[1]
with wave.open(f"{w}/out.wav") as f:
    assert f.getframerate() == 24000, f.getframerate()
    assert f.getnchannels() == 1 and f.getsampwidth() == 2
    n = f.getnframes()
rep = json.load(open(f"{w}/out.json"))
assert rep["sample_rate"] == 24000 and rep["audio_written"]
assert n == rep["frames"] * 960, (n, rep["frames"])  # 960 samples per code frame
assert rep["stop"] in ("audio_eos", "max_frames")
assert rep["stopped_by_itself"] == (rep["stop"] == "audio_eos")
if rep["stop"] == "max_frames":
    assert rep["frames"] == 60 - 8 - 1, rep["frames"]  # delay-pattern columns minus ramp and BOS/EOS
print("out.wav:", n, "samples;", rep["stop"])
PY
  [[ -f $work/out.codes.safetensors ]]
  # A real safetensors file: Python's reference reader opens it.
  "$py" - "$work/out.codes.safetensors" <<'PY'
import sys
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
assert set(t) == {"codes", "delayed"} and t["codes"].shape[0] == t["delayed"].shape[0], {k: v.shape for k, v in t.items()}
print("out.codes.safetensors:", {k: v.shape for k, v in t.items()})
PY
fi
# With --force-audio the audio always starts, and the WAV holds exactly the decoded frames.
# --json: {samples: [each report], summary} on stdout alone (the log on stderr).
"$run" generate "$work/run" --ref-audio "$ref" --ref-text "$ref_text" --text "The quick brown fox." \
  --out "$work/forced.wav" --max-frames 60 --force-audio --threads 1 --json > "$work/forced.stdout.json" \
  2> "$work/forced.log" || { cat "$work/forced.log"; exit 1; }
cat "$work/forced.log"
"$py" - "$work" <<'PY'
import json, sys, wave
w = sys.argv[1]
rep = json.load(open(f"{w}/forced.json"))
out = json.load(open(f"{w}/forced.stdout.json"))
assert out["summary"]["samples"] == 1 and out["summary"]["with_audio"] == 1, out["summary"]
(printed,) = out["samples"]
assert printed["wav"] == f"{w}/forced.wav", printed["wav"]  # the file's report names it relatively
assert {k: printed[k] for k in rep if k != "wav"} == {k: v for k, v in rep.items() if k != "wav"}, (printed, rep)
with wave.open(f"{w}/forced.wav") as f:
    assert f.getframerate() == 24000 and f.getnframes() == rep["frames"] * 960
assert rep["stop"] in ("audio_eos", "max_frames") and rep["frames"] > 0, rep
print("forced.wav:", rep["frames"], "frames;", rep["stop"])
PY

# 3. The same from the recipe (random weights, no run directory), jobs from a JSONL file, greedy,
# scored by a `command` scorer (a Python script reading the request on stdin and the WAV it names).
printf '{"text": "One two three.", "name": "a"}\n{"text": "Four five.", "name": "b"}\n' > "$work/jobs.jsonl"
cat > "$work/scorer.py" <<'PY'
import json, sys, wave
req = json.load(sys.stdin)
print("scoring", req["wav"])                      # chatter before the answer is ignored
with wave.open(req["wav"]) as f:
    n = f.getnframes()
print(json.dumps({"samples": n, "text_chars": len(req["text"]), "refs": len(req["ref_audio"])}))
PY
scorers="[{\"type\":\"command\",\"command\":[\"$py\",\"$work/scorer.py\"]}]"
"$run" generate "$recipe" --tla-str demo_dir="$demo" --ref-audio "$ref" --ref-text "$ref_text" \
  --jobs "$work/jobs.jsonl" --out "$work/jobs" --max-frames 30 --temperature 0 --force-audio --threads 1 \
  --set "scorers=$scorers" > "$work/jobs.log" 2>&1 || { cat "$work/jobs.log"; exit 1; }
cat "$work/jobs.log"
[[ -f $work/jobs/a.wav && -f $work/jobs/b.wav && -f $work/jobs/a.json ]]
grep -q "2 sample(s): " "$work/jobs.log"
grep -Eq "2 sample\(s\): .*; refs 1 \(2\), samples [0-9.e+]+ \(2\), text_chars 12 \(2\)" "$work/jobs.log"
"$py" - "$work/jobs" <<'PY'
import json, sys, wave
for name, text in (("a", "One two three."), ("b", "Four five.")):
    rep = json.load(open(f"{sys.argv[1]}/{name}.json"))
    with wave.open(f"{sys.argv[1]}/{name}.wav") as f:
        assert rep["scores"] == {"samples": f.getnframes(), "text_chars": len(text), "refs": 1}, rep["scores"]
print("scores:", rep["scores"])
PY
# A scorer that fails is reported per sample; generation goes on and the WAVs are kept.
"$run" generate "$recipe" --tla-str demo_dir="$demo" --ref-audio "$ref" --ref-text "$ref_text" \
  --text "Hi." --out "$work/failing.wav" --max-frames 20 --force-audio --threads 1 \
  --set 'scorers=[{"type":"command","command":["/bin/sh","-c","exit 3"]}]' > "$work/failing.log" 2>&1 || {
  cat "$work/failing.log"; exit 1; }
grep -q "scorers\[0\] FAILED: /bin/sh: exited with status 3" "$work/failing.log"
[[ -f $work/failing.wav ]]
# A scorer program that does not exist is a recipe error before anything is loaded.
if "$run" generate "$recipe" --tla-str demo_dir="$demo" --ref-audio "$ref" --ref-text "$ref_text" \
     --text "Hi." --out "$work/x.wav" --set 'scorers=[{"type":"command","command":["no-such-asr"]}]' \
     > "$work/noscorer.log" 2>&1; then echo "missing scorer program accepted"; exit 1; fi
grep -q "no-such-asr is not on PATH" "$work/noscorer.log"
# Bad input: a missing reference file is a clear error.
if "$run" generate "$work/run" --ref-audio "$work/nope.wav" --ref-text x --text y --out "$work/x.wav" \
     > "$work/bad.log" 2>&1; then echo "missing reference accepted"; exit 1; fi
grep -q "nope.wav" "$work/bad.log"
# Every file training, listen_samples and generate wrote opens with its format's Python reader
# (the test's own inputs and logs, e.g. scorer.py and jobs.jsonl, are left out).
"$py" "$src/tests/python/check_output_formats.py" "$work/run" "$work/jobs" "$work"/out.* "$work"/forced.* "$work"/failing.*
echo "e2e generate passed"
