#!/usr/bin/env bash
# Referee 6 (interop): a run trained by higgs-run on Boson's own random checkpoint (the demo
# config, save_pretrained) is opened by the Python ecosystem. Its final/ PEFT adapter (LoRA plus
# modules_to_save) loads with PeftModel.from_pretrained onto Boson's HiggsAudioModel, and
# `higgs-run export` (merged, sharded) loads with HiggsAudioModel.from_pretrained; both give the
# loss `higgs-run model-loss` gives on the same batch, within 1e-5 relative. The export in the
# Transformers higgs_audio_v2 layout (--layout transformers) reads back with the same loss.
set -euo pipefail
src=$1 build=$2
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
ref=${HIGGS_REFEREE_PYTHON:-$src/.venv-referee/bin/python}
[[ -x $ref ]] || { echo "no referee venv at $ref: run scripts/setup_referee.sh (scripts/setup.sh does)"; exit 1; }
run="$build/higgs-run"
work=$build/test_tmp/referee-interop
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
common=(--tla-str demo_dir="$demo" --set trainer.progress_bar=false --threads 1
  --set model.path="$work/base" --set model.init=checkpoint)

# Boson's model with random weights, in the released layout, as the base of the run.
"$ref" "$src/tests/referee/boson_model.py" build "$demo/model/config.json" "$work/base" 3 > "$work/build.log" 2>&1 ||
  { cat "$work/build.log"; exit 1; }
"$run" "$recipe" "${common[@]}" --output-dir "$work/run" --set trainer.max_steps=4 --set trainer.save_every=0 \
  --set trainer.eval_every=0 > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
"$run" export "$work/run" --out "$work/merged" --max-shard-size 2MB > "$work/export.log" 2>&1 ||
  { cat "$work/export.log"; exit 1; }
"$run" dump-batch "$recipe" "${common[@]}" --split eval --set trainer.batch_size=1000 \
  --out "$work/batch.safetensors" > /dev/null 2>&1
"$run" model-loss --model "$work/merged" --batch "$work/batch.safetensors" > "$work/ours.json"
# The same export in the Transformers higgs_audio_v2 layout, read back by higgs-run: the same loss.
"$run" export "$work/run" --out "$work/port" --layout transformers > "$work/export_port.log" 2>&1 ||
  { cat "$work/export_port.log"; exit 1; }
grep -q '"model_type": "higgs_audio_v2"' "$work/port/config.json"
"$run" model-loss --model "$work/port" --batch "$work/batch.safetensors" > "$work/ours_port.json"
cmp <("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["loss"])' "$work/ours.json") \
    <("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["loss"])' "$work/ours_port.json")
"$ref" "$src/tests/referee/boson_interop.py" "$work/base" "$work/run/final" "$work/merged" \
  "$work/batch.safetensors" "$work/boson.json" > "$work/interop.log" 2>&1 || { cat "$work/interop.log"; exit 1; }
"$py" - "$work/ours.json" "$work/boson.json" <<'PY'
import json, sys
ours, boson = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for side in ("peft", "merged"):
    for k in ("loss", "text_loss", "audio_loss"):
        got, want = boson[side][k], ours[k]
        assert abs(got - want) <= 1e-5 * abs(want), (side, k, got, want)
assert boson["logits_max_diff"] <= 1e-5 * boson["logits_max_abs"], boson
print(f"PeftModel.from_pretrained and the merged export on Boson's model: loss {boson['peft']['loss']:.6f} / "
      f"{boson['merged']['loss']:.6f} = ours {ours['loss']:.6f}; logits differ by {boson['logits_max_diff']:.2e}")
PY
echo "referee interop passed"
