#!/usr/bin/env bash
# pretokenize on the demo data (espeak-ng voices, tiny random Higgs audio tokenizer):
#   1. a first run encodes every distinct audio file of train_data and eval_data;
#   2. a second run hits the code cache for every file, and so does the dataset (data-check);
#   3. a run killed with SIGKILL leaves no unusable entry and the next run finishes the rest;
#   4. a corrupt entry is detected, re-encoded, and the codes equal the first run's.
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-pretokenize
demo=$work/assets
rm -rf "$work" && mkdir -p "$work"
"$py" "$src/recipes/demo/make_demo_data.py" "$demo/data" --speakers 3 --per-speaker 6 --german-speakers 0 > /dev/null
"$run" init-audio-tokenizer --config "$src/recipes/demo/tiny_audio_tokenizer.json" --out "$demo/audio_tokenizer" \
  --seed 3 > /dev/null
recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
common=(--tla-str demo_dir="$demo" --threads 2 --set task.progress_bar=false)
cache=$demo/data/.higgs_code_cache
# Distinct audio files of both splits (the reference clip of a speaker is shared by its samples).
files=$("$py" - "$demo/data" <<'PY'
import json, sys
paths = set()
for split in ("train", "eval"):
    for line in open(f"{sys.argv[1]}/{split}.jsonl"):
        for m in json.loads(line)["messages"]:
            c = m["content"]
            if isinstance(c, dict) and c.get("type") == "audio":
                paths.add(c["audio_url"])
print(len(paths))
PY
)
[[ $files -eq 27 ]] || { echo "expected 27 distinct audio files, found $files"; exit 1; }
entries() { find "$cache" -name '*.safetensors' | wc -l; }

# 1. First run: everything is encoded.
"$run" pretokenize "$recipe" "${common[@]}" --set task.workers=2 > "$work/1.log" 2>&1
grep -q "pretokenize: $files audio files: $files encoded, 0 cache hits, 0 duplicates, 0 failed" "$work/1.log" \
  || { cat "$work/1.log"; exit 1; }
[[ $(entries) -eq $files ]]
mkdir -p "$work/first" && cp -r "$cache" "$work/first/"

# 2. Second run: every file is a cache hit; the dataset then encodes nothing either.
"$run" pretokenize "$recipe" "${common[@]}" > "$work/2.log" 2>&1
grep -q "pretokenize: $files audio files: 0 encoded, $files cache hits, 0 duplicates, 0 failed" "$work/2.log" \
  || { cat "$work/2.log"; exit 1; }
grep -q "every file was already in the code cache" "$work/2.log"
"$run" data-check "$recipe" --tla-str demo_dir="$demo" --threads 1 > "$work/check.log" 2>&1
grep -q "train.jsonl: audio code cache: [0-9]* hits, 0 encoded" "$work/check.log" || { cat "$work/check.log"; exit 1; }
grep -q "eval.jsonl: audio code cache: [0-9]* hits, 0 encoded" "$work/check.log"

# 3. SIGKILL after the first entries, then resume: no entry is unusable, the rest gets encoded.
rm -rf "$cache"
"$run" pretokenize "$recipe" "${common[@]}" --set task.workers=1 > "$work/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [[ -d $cache && $(entries) -ge 3 ]] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
before=$(entries)
[[ $before -ge 3 ]] || { echo "no entries before the kill"; exit 1; }
"$run" pretokenize "$recipe" "${common[@]}" > "$work/resumed.log" 2>&1
if grep -q "unusable" "$work/resumed.log"; then cat "$work/resumed.log"; exit 1; fi
encoded=$(sed -n 's/.*audio files: \([0-9]*\) encoded, \([0-9]*\) cache hits.*/\1/p' "$work/resumed.log")
hits=$(sed -n 's/.*audio files: \([0-9]*\) encoded, \([0-9]*\) cache hits.*/\2/p' "$work/resumed.log")
[[ $hits -eq $before && $((encoded + hits)) -eq $files ]] || { echo "before $before, then $encoded + $hits"; exit 1; }
echo "killed after $before of $files entries; the resumed run encoded $encoded"

# 4. A truncated entry is reported, removed and re-encoded to the same codes.
victim=$(find "$cache" -name '*.safetensors' | sort | head -1)
truncate -s 100 "$victim"
"$run" pretokenize "$recipe" "${common[@]}" > "$work/4.log" 2>&1
grep -q "unusable" "$work/4.log"
grep -q "pretokenize: $files audio files: 1 encoded, $((files - 1)) cache hits" "$work/4.log" || { cat "$work/4.log"; exit 1; }
diff -r "$work/first/.higgs_code_cache" "$cache"
echo "e2e pretokenize passed"
