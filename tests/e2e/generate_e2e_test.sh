#!/usr/bin/env bash
# End to end: train the README demo briefly (with the listen_samples callback), then
# `higgs-run generate RUN_DIR` clones a demo voice: a 24 kHz WAV, its codes and a report, and a
# message saying whether decoding stopped by itself or hit the length limit. Also runs the task
# from the recipe itself (no run directory) and a JSONL of jobs.
set -euo pipefail
src=$1 build=$2
run="$build/higgs-run"
work=$build/test_tmp/e2e-generate
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")   # shared, made once under a lock
# A reference clip and its transcript from the demo data (speaker 0's reference turn).
read -r ref ref_text < <(/usr/bin/python3 - "$demo/data/train.jsonl" <<'PY'
import json, os, sys
s = json.loads(open(sys.argv[1]).readline())
print(os.path.join(os.path.dirname(sys.argv[1]), s["messages"][2]["content"]["audio_url"]), s["messages"][1]["content"])
PY
)
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
listen="[{\"type\":\"listen_samples\",\"every\":4,\"max_frames\":40,\"prompts\":[{\"name\":\"hello\",\"text\":\"Hello there.\",\"ref_audio\":\"$ref\",\"ref_text\":\"$ref_text\"}]}]"

# 1. A short training run that listens to itself every 4 steps.
"$run" "$recipe" --tla-str demo_dir="$demo" --threads 1 --output-dir "$work/run" --set trainer.max_steps=8 \
  --set trainer.save_every=0 --set trainer.eval_every=0 --set trainer.progress_bar=false \
  --set "callbacks=$listen" > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
for s in 4 8; do
  [[ -f $work/run/samples/step-$s/hello.wav && -f $work/run/samples/step-$s/summary.json ]] || {
    echo "missing samples/step-$s"; cat "$work/train.log"; exit 1; }
done
grep -q "listen_samples step 8: .*hello.wav: .* s (.* frames), .*stop.*RTF" "$work/train.log"

# 2. generate on the finished run directory.
"$run" generate "$work/run" --ref-audio "$ref" --ref-text "$ref_text" --text "The quick brown fox." \
  --out "$work/out.wav" --max-frames 60 --temperature 0.7 --threads 1 > "$work/gen.log" 2>&1 || {
  cat "$work/gen.log"; exit 1; }
cat "$work/gen.log"
grep -q "loaded .* trainable tensors from .*checkpoint-8" "$work/gen.log"
grep -Eq "out.wav: .* s \(.* frames\), (stopped by itself \(audio_eos\)|did NOT stop by itself \((max_frames|max_text_tokens|text_end)\))" "$work/gen.log"
grep -q "1 sample(s): " "$work/gen.log"
/usr/bin/python3 - "$work" <<'PY'
import json, sys, wave
w = sys.argv[1]
with wave.open(f"{w}/out.wav") as f:
    assert f.getframerate() == 24000, f.getframerate()
    assert f.getnchannels() == 1 and f.getsampwidth() == 2
    n = f.getnframes()
rep = json.load(open(f"{w}/out.json"))
assert rep["sample_rate"] == 24000
assert n == rep["frames"] * 960, (n, rep["frames"])  # 960 samples per code frame
assert rep["stop"] in ("audio_eos", "max_frames", "max_text_tokens", "text_end")
assert rep["stopped_by_itself"] == (rep["stop"] == "audio_eos")
assert (rep["frames"] > 0) == (rep["stop"] in ("audio_eos", "max_frames"))
if rep["stop"] == "max_frames":
    assert rep["frames"] == 60 - 8 - 1, rep["frames"]  # delay-pattern columns minus ramp and BOS/EOS
print("out.wav:", n, "samples;", rep["stop"])
PY
[[ -f $work/out.codes.safetensors ]]
# A model this briefly trained may end its turn before any audio; with --force-audio the audio
# always starts, and the WAV holds exactly the decoded frames.
"$run" generate "$work/run" --ref-audio "$ref" --ref-text "$ref_text" --text "The quick brown fox." \
  --out "$work/forced.wav" --max-frames 60 --force-audio --threads 1 > "$work/forced.log" 2>&1 || {
  cat "$work/forced.log"; exit 1; }
cat "$work/forced.log"
/usr/bin/python3 - "$work" <<'PY'
import json, sys, wave
w = sys.argv[1]
rep = json.load(open(f"{w}/forced.json"))
with wave.open(f"{w}/forced.wav") as f:
    assert f.getframerate() == 24000 and f.getnframes() == rep["frames"] * 960
assert rep["stop"] in ("audio_eos", "max_frames") and rep["frames"] > 0, rep
print("forced.wav:", rep["frames"], "frames;", rep["stop"])
PY

# 3. The same from the recipe (random weights, no run directory), jobs from a JSONL file, greedy.
printf '{"text": "One two three.", "name": "a"}\n{"text": "Four five.", "name": "b"}\n' > "$work/jobs.jsonl"
"$run" generate "$recipe" --tla-str demo_dir="$demo" --ref-audio "$ref" --ref-text "$ref_text" \
  --jobs "$work/jobs.jsonl" --out "$work/jobs" --max-frames 30 --temperature 0 --force-audio --threads 1 \
  > "$work/jobs.log" 2>&1 || { cat "$work/jobs.log"; exit 1; }
[[ -f $work/jobs/a.wav && -f $work/jobs/b.wav && -f $work/jobs/a.json ]]
grep -q "2 sample(s): " "$work/jobs.log"
# Bad input: a missing reference file is a clear error.
if "$run" generate "$work/run" --ref-audio "$work/nope.wav" --ref-text x --text y --out "$work/x.wav" \
     > "$work/bad.log" 2>&1; then echo "missing reference accepted"; exit 1; fi
grep -q "nope.wav" "$work/bad.log"
echo "e2e generate passed"
