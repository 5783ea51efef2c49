#!/usr/bin/env bash
# End to end on the real pipeline at toy size: espeak-ng data -> sentencepiece -> tiny Higgs audio
# tokenizer -> tiny Higgs Audio model -> trainer. Checks that the loss falls, the run directory
# contract (a PEFT-layout adapter in final/), export (merged full model whose loss equals the
# run's final eval loss, and the adapter alone), training on another ChatML file via --set, the
# inference alignment warnings of the seed recipe, and that a run killed with SIGKILL and resumed
# with --resume auto ends bit-identical to an uninterrupted run.
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-demo
mkdir -p "$work" && rm -rf "$work"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")   # shared, made once under a lock
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
common=(--tla-str demo_dir="$demo" --set trainer.log_every=1 --set trainer.progress_bar=false --threads 1)

# 1. Train 12 steps: loss falls, run directory complete.
"$run" "$recipe" "${common[@]}" --output-dir "$work/a" --set trainer.max_steps=12 --set trainer.save_every=6 \
  --set trainer.eval_every=0 > "$work/a.log" 2>&1
for f in recipe.resolved.json recipe.overrides.json meta.json train.log metrics.jsonl checkpoint-12/trainer_state.json \
         checkpoint-12/adapter/adapter_config.json final/adapter_config.json final/adapter_model.safetensors; do
  [[ -e $work/a/$f ]] || { echo "missing $f"; exit 1; }
done
"$py" - "$work/a/metrics.jsonl" <<'PY'
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
! grep -q "inference alignment" "$work/a.log"   # the demo recipe matches its model's config
# The adapter is PEFT's: LoRA on every projection, embeddings and heads as modules_to_save.
"$py" - "$work/a/final" <<'PY'
import json, struct, sys
d = sys.argv[1]
cfg = json.load(open(f"{d}/adapter_config.json"))
assert cfg["peft_type"] == "LORA" and cfg["r"] == 16 and cfg["lora_alpha"] == 32, cfg
assert sorted(cfg["target_modules"]) == ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"], cfg
assert cfg["modules_to_save"] == ["embed_tokens", "audio_codebook_embeddings", "audio_decoder_proj"], cfg
raw = open(f"{d}/adapter_model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
names = [k for k in json.loads(raw[8:8 + n]) if k != "__metadata__"]
assert all(k.startswith("base_model.model.") for k in names), names[:3]
assert "base_model.model.layers.0.self_attn.q_proj.lora_A.weight" in names
assert "base_model.model.layers.1.audio_mlp.down_proj.lora_B.weight" in names
assert "base_model.model.audio_decoder_proj.audio_lm_head.weight" in names
assert "base_model.model.audio_codebook_embeddings.weight" in names
print(f"PEFT adapter: {len(names)} tensors")
PY

# 1b. Export: the merged model (sharded, with index) gives the run's final eval loss on the eval
#     set; the adapter alone is the final adapter.
"$run" export "$work/a" --out "$work/a-merged" --max-shard-size 2MB > "$work/export.log" 2>&1
[[ -f $work/a-merged/config.json && -f $work/a-merged/model.safetensors.index.json ]]
(( $(ls "$work"/a-merged/model-*-of-*.safetensors | wc -l) > 1 ))
"$run" dump-batch "$recipe" "${common[@]}" --split eval --set trainer.batch_size=1000 \
  --out "$work/eval-batch.safetensors" > /dev/null 2>&1   # every eval sample in one batch
"$run" model-loss --model "$work/a-merged" --batch "$work/eval-batch.safetensors" > "$work/merged-loss.json"
"$py" - "$work/a/metrics.jsonl" "$work/merged-loss.json" <<'PY'
import json, sys
final = [json.loads(l) for l in open(sys.argv[1]) if "eval/loss" in l][-1]
got = json.load(open(sys.argv[2]))
for k in ("loss", "audio_loss", "text_loss"):
    assert abs(got[k] - final["eval/" + k]) < 1e-4 * max(1.0, abs(got[k])), (k, got[k], final["eval/" + k])
print(f"merged export eval loss {got['loss']:.5f} = run {final['eval/loss']:.5f}")
PY
# 1c. evaluate: the run's newest checkpoint, and the recipe's model with the final adapter loaded,
#     give the run's final eval metrics (same code, same batches: equal to the last digit).
"$run" evaluate "$work/a" --threads 1 --out "$work/eval-run.json" > "$work/evaluate.log" 2>&1 || {
  cat "$work/evaluate.log"; exit 1; }
grep -q "evaluated .*checkpoint-12 on eval_data: 8 samples in 3 batches (0 skipped)" "$work/evaluate.log"  # 6 English, 2 German: batches never mix languages
"$run" evaluate "$recipe" "${common[@]}" --adapter "$work/a/final" --out "$work/eval-adapter.json" \
  > "$work/evaluate-adapter.log" 2>&1 || { cat "$work/evaluate-adapter.log"; exit 1; }
"$run" evaluate "$work/a" --threads 1 --data train_data --max-batches 2 --batch-size 2 \
  --out "$work/eval-train.json" > /dev/null 2>&1
# The run's trainer.eval_batches is the default number of batches (as the run evaluated).
# --json: the report on stdout alone (the log goes to stderr).
"$run" evaluate "$work/a" --threads 1 --set trainer.eval_batches=1 --json \
  > "$work/eval-one-batch.json" 2> /dev/null
"$py" -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['batches']==1 and r['samples']==4 and 'eval/loss' in r and r['data']=='eval_data', r" \
  "$work/eval-one-batch.json"
"$py" - "$work/a/metrics.jsonl" "$work"/eval-run.json "$work"/eval-adapter.json "$work"/eval-train.json <<'PY'
import json, sys
final = [json.loads(l) for l in open(sys.argv[1]) if "eval/loss" in l][-1]
for path in sys.argv[2:4]:
    got = json.load(open(path))
    keys = [k for k in final if k.startswith("eval/")]
    assert sorted(k for k in got if k.startswith("eval/")) == sorted(keys), (got, keys)
    for k in keys:
        assert abs(got[k] - final[k]) <= 1e-9 * max(1.0, abs(final[k])), (path, k, got[k], final[k])
train = json.load(open(sys.argv[4]))
assert train["data"] == "train_data" and train["batches"] == 2 and train["batch_size"] == 2, train
assert abs(train["eval/loss"] - final["eval/loss"]) > 1e-6, "train and eval sets gave the same loss"
print(f"evaluate: eval/loss {final['eval/loss']:.6f} from the checkpoint and from the adapter")
PY
"$run" export "$work/a" --out "$work/a-adapter" --adapter-only > /dev/null 2>&1
cmp "$work/a-adapter/adapter_model.safetensors" "$work/a/final/adapter_model.safetensors"
cmp "$work/a-adapter/adapter_config.json" "$work/a/final/adapter_config.json"
[[ $(grep -c "info step [0-9]*/12 loss" "$work/a.log") -eq 12 ]]

# 2. Another ChatML file in the same format trains too (the eval split as training data).
"$run" "$recipe" "${common[@]}" --output-dir "$work/b" --set trainer.max_steps=2 \
  --set train_data.path="$demo/data/eval.jsonl" > "$work/b.log" 2>&1
grep -q "eval.jsonl: 3 samples" "$work/b.log" || grep -q "eval.jsonl" "$work/b.log"

# 2b. The seed recipe (delay pattern off, Whisper on) warns before training (--dry-run).
seed_args=(--tla-str model_path="$demo/model" --tla-str audio_tokenizer_path="$demo/audio_tokenizer"
  --tla-str train_data_file="$demo/data/train.jsonl" --tla-str eval_data_file="$demo/data/eval.jsonl"
  --tla-str output_dir="$work/seed" --set text_tokenizer.type=sentencepiece --set text_tokenizer.path="$demo/data/spm.model"
  --set model.dtype=float32 --set model.init=random --set trainer.precision=fp32)
"$run" "$src/recipes/seed/train_v2.jsonnet" "${seed_args[@]}" --threads 1 --dry-run > "$work/seed.log" 2>&1
grep -q "inference alignment (train_unreleased_layout): collator.use_delay_pattern is false but the model config has use_delay_pattern=true" "$work/seed.log"
grep -q "inference alignment (train_unreleased_layout): collator.encode_whisper_embed is true but the model config has skip_audio_tower=true" "$work/seed.log"
# Without saying so on purpose, the same settings are a recipe error before anything is loaded.
if "$run" "$src/recipes/seed/train_v2.jsonnet" "${seed_args[@]}" --set collator.train_unreleased_layout=false \
     --threads 1 --dry-run > "$work/seed_refused.log" 2>&1; then echo "unreleased layout accepted"; exit 1; fi
grep -q "collator: collator.use_delay_pattern is false but the model config has use_delay_pattern=true.*train_unreleased_layout=true" "$work/seed_refused.log"

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
cmp "$work/full/final/adapter_model.safetensors" "$work/killed/final/adapter_model.safetensors"
# Every file the runs and exports wrote opens with its format's Python reader.
"$py" "$src/tests/python/check_output_formats.py" "$work/a" "$work/a-merged" "$work/a-adapter" "$work/killed"
echo "e2e demo pipeline passed"
