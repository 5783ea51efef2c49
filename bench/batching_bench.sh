#!/usr/bin/env bash
# Fixed-size against token-budget batching on a corpus of mixed lengths (targets of 0.5 to 30 s,
# as a real voice-cloning corpus has): the padding fraction of each epoch-0 plan (from
# data-check --json) and the training throughput (samples per second over one epoch of the
# demo's tiny model, the time of a --dry-run of the same recipe subtracted). The limit both are
# measured against is a plan with no padding at all (padding fraction 0).
#
#   bench/batching_bench.sh [BUILD_DIR=build] [--samples N] [--batch B] [--threads T]
#
# The fixed-size run uses batch B (it must fit the longest sample B times); the token-budget run
# gets the same memory bound: B x the longest sample's positions per batch.
# Needs: a built BUILD_DIR (higgs-run), espeak-ng, sox, spm_train, the project venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
N=64 B=4 T=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --samples) N=$2; shift 2 ;;
    --batch) B=$2; shift 2 ;;
    --threads) T=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
py=${HIGGS_PYTHON:-.venv/bin/python}
run=$BUILD/higgs-run
DATA=$BUILD/bench_batching_$N
if [[ ! -f $DATA/.done ]]; then
  rm -rf "$DATA" && mkdir -p "$DATA/model"
  # The demo's tokenizers and model config; its speakers read sentences long enough for each
  # target duration (espeak-ng at 175 words a minute).
  "$py" recipes/demo/make_demo_data.py "$DATA/demo" --speakers 2 --per-speaker 2 --german-speakers 0 > /dev/null
  "$run" init-audio-tokenizer --config recipes/demo/tiny_audio_tokenizer.json --out "$DATA/audio_tokenizer" --seed 3 > /dev/null
  "$py" recipes/demo/make_tiny_model_config.py tests/golden/higgs_audio_v2_3b/config.json \
    "$DATA/demo/special_tokens.json" "$(wc -l < "$DATA/demo/spm.vocab")" 256 "$DATA/model/config.json" > /dev/null
  "$py" - "$DATA" "$N" <<'PY'
import json, os, random, subprocess, sys
data, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(5)
words = "the quick brown fox jumps over a lazy dog near the old mill by the river".split()
os.makedirs(f"{data}/audio", exist_ok=True)
def speak(text, path):
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "175", "-w", path + ".raw.wav", text], check=True)
    subprocess.run(["sox", path + ".raw.wav", "-r", "24000", path], check=True)
    os.remove(path + ".raw.wav")
speak("A reference sentence read by the speaker today.", f"{data}/audio/ref.wav")
with open(f"{data}/train.jsonl", "w") as f:
    for i in range(n):
        seconds = 0.5 + 29.5 * rng.random()
        text = " ".join(rng.choice(words) for _ in range(max(1, round(seconds * 2.9))))
        speak(text, f"{data}/audio/t{i:03d}.wav")
        f.write(json.dumps({"messages": [
            {"role": "user", "content": "A reference sentence read by the speaker today."},
            {"role": "assistant", "content": {"type": "audio", "audio_url": "audio/ref.wav"}},
            {"role": "user", "content": text},
            {"role": "assistant", "content": {"type": "audio", "audio_url": f"audio/t{i:03d}.wav"}}],
            "start_index": 3}) + "\n")
PY
  touch "$DATA/.done"
fi
cat > "$DATA/recipe.jsonnet" <<EOF
local demo = import '$(pwd)/recipes/demo/tiny_zero_shot.jsonnet';
function(sampler='fixed', budget=0) demo('$DATA') + {
  text_tokenizer+: { path: '$DATA/demo/spm.model' },
  train_data+: { path: '$DATA/train.jsonl' },
  eval_data:: null,
  output_dir: '$DATA/run_' + sampler,
  trainer+: { max_steps: 0, epochs: 1, batch_size: $B, eval_every: 0, save_every: 0, log_every: 1000,
              progress_bar: false, num_workers: 1 },
  [if sampler == 'budget' then 'sampler']: { type: 'token_budget', max_tokens_per_batch: budget },
}
EOF
"$run" pretokenize "$DATA/recipe.jsonnet" --threads "$T" > /dev/null 2>&1
"$run" data-check "$DATA/recipe.jsonnet" --json --threads "$T" 2> /dev/null > "$DATA/check_fixed.json"
longest=$("$py" -c "import json,sys; s=json.load(open(sys.argv[1]))['splits'][0]; print(int(s['total_tokens']['max']))" "$DATA/check_fixed.json")
budget=$((B * longest))
"$run" data-check "$DATA/recipe.jsonnet" --tla-str sampler=budget --tla-code budget=$budget --json --threads "$T" \
  2> /dev/null > "$DATA/check_budget.json"
seconds() {  # wall seconds of one epoch: the run minus a --dry-run of the same recipe
  local name=$1 t0 t1 t2
  shift
  t0=$(date +%s.%N); "$run" "$DATA/recipe.jsonnet" "$@" --threads "$T" --dry-run --force > /dev/null 2>&1
  t1=$(date +%s.%N); "$run" "$DATA/recipe.jsonnet" "$@" --threads "$T" --force > "$DATA/train_$name.log" 2>&1
  t2=$(date +%s.%N)
  "$py" -c "print(($t2 - $t1) - ($t1 - $t0))"
}
fixed_s=$(seconds fixed --tla-str sampler=fixed)
budget_s=$(seconds budget --tla-str sampler=budget --tla-code budget=$budget)
"$py" - "$DATA" "$N" "$B" "$budget" "$fixed_s" "$budget_s" <<'PY'
import json, sys
data, n, b, budget, fixed_s, budget_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
fixed = json.load(open(f"{data}/check_fixed.json"))["splits"][0]
budg = json.load(open(f"{data}/check_budget.json"))["splits"][0]["composition"]["sampler"]
f = fixed["composition"]["fixed_size_batches"]
print(f"corpus: {n} samples, targets 0.5-30 s, longest {budget // b} positions (text tokens + frames)")
print(f"{'batching':<28}{'batches':>8}{'padding':>9}{'epoch s':>9}{'samples/s':>11}")
print(f"{'fixed, batch ' + str(b):<28}{f['batches']:>8}{f['padding_fraction']:>9.1%}{fixed_s:>9.1f}{f['examples'] / fixed_s:>11.2f}")
print(f"{'token budget ' + str(budget):<28}{budg['batches']:>8}{budg['padding_fraction']:>9.1%}{budget_s:>9.1f}{budg['examples'] / budget_s:>11.2f}")
print(f"{'limit: no padding':<28}{'':>8}{0:>9.1%}")
print(f"token budget vs fixed: {(budg['examples'] / budget_s) / (f['examples'] / fixed_s):.2f}x the samples per second")
PY
