#!/usr/bin/env bash
# Quality in the training loop, end to end: the demo recipe with scorers
# (recipes/demo/tiny_zero_shot_scored.jsonnet) trains 8 steps; listen_samples scores its prompt at
# each evaluation (steps 4 and 8) with both built-in scorers (asr: PocketSphinx;
# speaker_similarity: resemblyzer's GE2E weights from the referee venv) and the tensorboard
# callback writes event files. eval/wer, eval/sim and the silence measures must be in metrics.jsonl at each
# evaluation, in TensorBoard (read back by TensorBoard's EventAccumulator), and in the HTML report,
# which headless Chromium renders (its DOM holds the curves and the players; a screenshot is kept
# in BUILD/test_tmp/e2e-quality-loop/report.png). Chromium missing: exit 77 (skipped).
#   quality_loop_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
referee_py=${HIGGS_REFEREE_PYTHON:-$src/.venv-referee/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-quality-loop
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")
weights=$("$referee_py" "$src/tests/referee/resemblyzer_embed.py" weights)
# The shipped demo recipe with both scorers and TensorBoard, 8 steps, evaluating at 4 and 8.
"$run" "$src/recipes/demo/tiny_zero_shot_scored.jsonnet" --tla-str demo_dir="$demo" \
  --tla-str speaker_weights="$weights" --threads 1 --output-dir "$work/run" \
  --set trainer.max_steps=8 --set trainer.eval_every=4 --set trainer.save_every=0 --set trainer.log_every=1 \
  --set trainer.progress_bar=false > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
"$py" - "$work/run/metrics.jsonl" <<'PY'
import json, sys
evals = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "eval/loss" in r:
        evals[r["step"]] = r
assert sorted(evals) == [4, 8], sorted(evals)
for step, r in evals.items():
    for k in ("eval/wer", "eval/cer", "eval/sim", "eval/speech_fraction", "eval/rms_dbfs",
              "eval/clipping_fraction", "eval/language/en/wer", "eval/speaker/spk0/sim"):
        assert k in r, (step, k, sorted(r))
    assert r["eval/wer"] >= 0 and -1 <= r["eval/sim"] <= 1, r
print("eval at step 8:", {k: round(v, 3) for k, v in evals[8].items() if k in ("eval/wer", "eval/sim", "eval/speech_fraction")})
PY
"$referee_py" "$src/tests/python/read_tfevents.py" "$work/run/tensorboard" > "$work/tb.json"
"$py" - "$work/tb.json" <<'PY'
import json, sys
tb = json.load(open(sys.argv[1]))
for tag in ("eval/wer", "eval/sim", "eval/speech_fraction"):
    assert [s for s, _ in tb["scalars"][tag]] == [4, 8], (tag, tb["scalars"].get(tag))
assert [a["step"] for a in tb["audio"]["samples/hello"]] == [4, 8]
print("tensorboard: eval/wer, eval/sim, eval/speech_fraction at steps 4 and 8")
PY
# evaluate --generate: the run's newest checkpoint on held-out prompts, scored the same way.
"$py" - "$demo/data/train.jsonl" "$work/held_out.jsonl" <<'PY'
import json, os, sys
# A reference of another demo speaker, with its transcript, from the training data.
for line in open(sys.argv[1]):
    m = json.loads(line)["messages"]
    if m[2]["content"]["audio_url"].startswith("audio/spk1_"):
        ref = os.path.join(os.path.dirname(sys.argv[1]), m[2]["content"]["audio_url"])
        job = {"text": "Good morning to you.", "name": "held_out", "ref_audio": ref,
               "ref_text": m[1]["content"], "language": "en"}
        open(sys.argv[2], "w").write(json.dumps(job) + "\n")
        break
PY
"$run" evaluate "$work/run" --threads 1 --generate "$work/held_out.jsonl" --force-audio --max-frames 40 \
  --samples-dir "$work/eval-samples" --json > "$work/evaluate.json" 2> "$work/evaluate.log" ||
  { cat "$work/evaluate.log"; exit 1; }
"$py" - "$work" <<'PY'
import json, os, sys
w = sys.argv[1]
r = json.load(open(f"{w}/evaluate.json"))
for k in ("eval/loss", "eval/wer", "eval/sim", "eval/speech_fraction", "eval/language/en/wer"):
    assert k in r, (k, sorted(r))
assert os.path.exists(f"{w}/eval-samples/held_out.wav") and os.path.exists(f"{w}/eval-samples/summary.json")
print("evaluate --generate:", {k: round(r[k], 3) for k in ("eval/loss", "eval/wer", "eval/sim")})
PY
"$run" report "$work/run" --out "$work/report.html" > "$work/report.log" 2>&1 || { cat "$work/report.log"; exit 1; }
grep -q "report written to $work/report.html" "$work/report.log"
chrome=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chrome ]] || { echo "chromium is not installed (scripts/setup.sh installs it): report not rendered"; exit 77; }
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
       --user-data-dir="$work/chrome-profile" --window-size=1400,2400)
timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$work/report.html" > "$work/dom.html" 2> "$work/chrome.log" ||
  { cat "$work/chrome.log"; exit 1; }
timeout 120 "$chrome" "${flags[@]}" --screenshot="$work/report.png" "file://$work/report.html" >> "$work/chrome.log" 2>&1 ||
  { cat "$work/chrome.log"; exit 1; }
"$py" - "$work/dom.html" "$work/report.png" <<'PY'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
charts = re.findall(r'<svg[^>]*class="chart"', dom)
assert len(charts) >= 4, f"{len(charts)} charts"
names = re.findall(r'<polyline class="series" data-name="([^"]+)"[^>]*points="([^"]*)"', dom)
named = {n: p for n, p in names}
for n in ("train/loss", "eval/loss", "eval/wer", "eval/sim", "eval/speech_fraction"):
    assert n in named, (n, sorted(named))
assert len(named["train/loss"].split()) == 8, named["train/loss"]
assert len(named["eval/wer"].split()) == 2, named["eval/wer"]
audio = re.findall(r'<audio controls[^>]*src="data:audio/wav;base64,', dom)
assert len(audio) == 2, f"{len(audio)} players"
assert "Step 4" in dom and "Step 8" in dom and "Recipe" in dom and "Meta" in dom
png = open(sys.argv[2], "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000, len(png)
print(f"report rendered by Chromium: {len(charts)} charts, {len(names)} curves, {len(audio)} players, screenshot {len(png)} bytes")
PY
