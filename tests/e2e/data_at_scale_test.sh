#!/usr/bin/env bash
# The shipped data-at-scale recipe (recipes/demo/tiny_data_at_scale.jsonnet) end to end on the
# demo data (English and German speakers): data-check reports both datasets and languages, the
# filters and the sampler's padding (--json); pretokenize encodes every reference's augmented
# variants once (a second run finds them all cached); training runs on token-budget batches of
# the mix, and evaluation reports each dataset and language apart.
#   data_at_scale_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-data-at-scale
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")
# A copy of the data: the variants' codes go to its own cache.
cp -r "$demo/data" "$work/data"
ln -s "$demo/audio_tokenizer" "$work/audio_tokenizer"
ln -s "$demo/model" "$work/model"
recipe="$src/recipes/demo/tiny_data_at_scale.jsonnet"
common=(--tla-str demo_dir="$work" --threads 1)

"$run" data-check "$recipe" "${common[@]}" --json > "$work/check.json" 2> "$work/check.log" ||
  { cat "$work/check.log"; exit 1; }
"$py" - "$work/check.json" <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert out["ok"], out
train, ev = out["splits"]
c = train["composition"]
assert set(c["labels"]) == {"dataset/en", "dataset/de", "language/en", "language/de"}, c["labels"]
assert c["labels"]["dataset/de"] == c["labels"]["language/de"] > 0, c["labels"]
assert "token-budget" in c["sampler"]["describe"], c["sampler"]
assert 0 <= c["sampler"]["padding_fraction"] < 1 and c["sampler"]["examples"] > 0, c["sampler"]
assert sum(b["count"] for b in c["target_seconds_histogram"]) == train["samples"], c
assert sum(b["count"] for b in c["chars_per_second_histogram"]) == train["samples"], c
assert set(ev["composition"]["labels"]) >= {"dataset/en", "dataset/de"}, ev["composition"]
# The lengths measured from the headers (WAV, FLAC, Ogg and MP3 in the demo) are the lengths of
# the loaded samples: text tokens + code frames, summed over the split.
for s in (train, ev):
    f = s["composition"]["fixed_size_batches"]
    assert f["examples"] == s["samples"], f
    assert abs(f["positions"] - s["total_tokens"]["mean"] * s["samples"]) < 1e-6, (f, s["total_tokens"])
print("data-check: train", train["samples"], "samples,", c["labels"], "padding",
      round(c["sampler"]["padding_fraction"], 3), "vs fixed",
      round(c["fixed_size_batches"]["padding_fraction"], 3))
PY

# pretokenize: every clip, and 4 variants of each training reference (the eval data is clean).
"$run" pretokenize "$recipe" "${common[@]}" > "$work/pre1.txt" 2> "$work/pre1.log" ||
  { cat "$work/pre1.log" "$work/pre1.txt"; exit 1; }
"$run" pretokenize "$recipe" "${common[@]}" > "$work/pre2.txt" 2> "$work/pre2.log" ||
  { cat "$work/pre2.log" "$work/pre2.txt"; exit 1; }
"$py" - "$work" <<'PY'
import json, re, sys, glob, os
work = sys.argv[1]
first, second = (open(f"{work}/pre{i}.txt").read() for i in (1, 2))
enc = int(re.search(r"(\d+) encoded", first).group(1))
# Training references: the first audio of each train sample, distinct files.
refs = set()
for lang in ("en", "de"):
    for line in open(f"{work}/data/train_{lang}.jsonl"):
        s = json.loads(line)
        refs.add(s["messages"][2]["content"]["audio_url"])
variants = glob.glob(f"{work}/data/.higgs_code_cache/**/*-aug*v*.safetensors", recursive=True)
assert len(variants) == 4 * len(refs), (len(variants), len(refs))
assert "0 encoded" in second, second
print("pretokenize:", enc, "encoded (", len(variants), "reference variants ), second run all cached")
PY

"$run" "$recipe" "${common[@]}" --set trainer.max_steps=6 --set trainer.eval_every=3 \
  --set trainer.save_every=0 --set trainer.log_every=1 --set trainer.progress_bar=false \
  > "$work/train.log" 2>&1 || { cat "$work/train.log"; exit 1; }
grep -q "token-budget batches of at most 1600" "$work/train.log" || { cat "$work/train.log"; exit 1; }
"$py" - "$work/run_data_at_scale/metrics.jsonl" <<'PY'
import json, sys
evals = [r for r in map(json.loads, open(sys.argv[1])) if "eval/loss" in r]
assert [r["step"] for r in evals] == [3, 6], evals
for k in ("eval/dataset/en/loss", "eval/dataset/de/loss", "eval/language/en/loss",
          "eval/language/de/loss"):
    assert k in evals[-1], (k, sorted(evals[-1]))
# One dataset per language here: the two views agree.
assert abs(evals[-1]["eval/dataset/de/loss"] - evals[-1]["eval/language/de/loss"]) < 1e-9
# Measured apart: the two languages' losses are not the same number.
assert evals[-1]["eval/dataset/de/loss"] != evals[-1]["eval/dataset/en/loss"], evals[-1]
print("eval at step 6:", {k: round(v, 3) for k, v in evals[-1].items() if k.endswith("/loss")})
PY
echo "data at scale e2e: ok"
