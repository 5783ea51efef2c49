#!/usr/bin/env bash
# End to end on the real pipeline at toy size: espeak-ng data -> sentencepiece -> tiny Higgs audio
# tokenizer -> tiny Higgs Audio model -> trainer. Checks that the loss falls, the run directory
# contract, training on another ChatML file via --set, and that a run killed with SIGKILL and
# resumed with --resume auto ends bit-identical to an uninterrupted run.
set -euo pipefail
src=$1 build=$2
run="$build/higgs-run"
work=$build/test_tmp/e2e-demo
demo=$build/test_tmp/demo-assets   # kept between runs: making it takes ~10 s
mkdir -p "$work" && rm -rf "$work"/*
if [[ ! -f $demo/model/config.json ]]; then
  /usr/bin/python3 "$src/recipes/demo/make_demo_data.py" "$demo/data" --speakers 3 --per-speaker 6 > /dev/null
  "$run" init-audio-tokenizer --config "$src/recipes/demo/tiny_audio_tokenizer.json" --out "$demo/audio_tokenizer" --seed 3 > /dev/null
  mkdir -p "$demo/model"
  /usr/bin/python3 "$src/recipes/demo/make_tiny_model_config.py" "$src/tests/golden/higgs_audio_v2_3b/config.json" \
    "$demo/data/special_tokens.json" "$(wc -l < "$demo/data/spm.vocab")" 256 "$demo/model/config.json" > /dev/null
fi
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
common=(--tla-str demo_dir="$demo" --set trainer.log_every=1 --set trainer.progress_bar=false --threads 1)

# 1. Train 12 steps: loss falls, run directory complete.
"$run" "$recipe" "${common[@]}" --output-dir "$work/a" --set trainer.max_steps=12 --set trainer.save_every=6 \
  --set trainer.eval_every=0 > "$work/a.log" 2>&1
for f in recipe.resolved.json recipe.overrides.json meta.json train.log metrics.jsonl checkpoint-12/trainer_state.json \
         final/config.json final/model.safetensors; do
  [[ -e $work/a/$f ]] || { echo "missing $f"; exit 1; }
done
/usr/bin/python3 - "$work/a/metrics.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
train = [r for r in recs if "train/audio_loss" in r]
first = sum(r["train/audio_loss"] for r in train[:3]) / 3
last = sum(r["train/audio_loss"] for r in train[-3:]) / 3
assert len(train) == 12, len(train)
assert last < first - 0.3, (first, last)
assert any("eval/audio_loss" in r for r in recs)
print(f"audio loss {first:.3f} -> {last:.3f}")
PY
grep -q "audio code cache" "$work/a.log"
[[ $(grep -c "info step [0-9]*/12 loss" "$work/a.log") -eq 12 ]]

# 2. Another ChatML file in the same format trains too (the eval split as training data).
"$run" "$recipe" "${common[@]}" --output-dir "$work/b" --set trainer.max_steps=2 \
  --set train_data.path="$demo/data/eval.jsonl" > "$work/b.log" 2>&1
grep -q "eval.jsonl: 3 samples" "$work/b.log" || grep -q "eval.jsonl" "$work/b.log"

# 3. SIGKILL after a checkpoint, then --resume auto: bit-identical to an uninterrupted run.
full=(--set trainer.max_steps=8 --set trainer.save_every=2 --set trainer.eval_every=0 --set trainer.keep_last=10)
"$run" "$recipe" "${common[@]}" "${full[@]}" --output-dir "$work/full" > "$work/full.log" 2>&1
"$run" "$recipe" "${common[@]}" "${full[@]}" --output-dir "$work/killed" > "$work/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [[ -f $work/killed/checkpoint-4/trainer_state.json ]] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[[ -f $work/killed/checkpoint-4/trainer_state.json ]] || { echo "no checkpoint-4 before the kill"; exit 1; }
"$run" "$recipe" "${common[@]}" "${full[@]}" --output-dir "$work/killed" --resume auto > "$work/resumed.log" 2>&1
grep -q "resumed from" "$work/resumed.log"
cmp "$work/full/final/model.safetensors" "$work/killed/final/model.safetensors"
echo "e2e demo pipeline passed"
