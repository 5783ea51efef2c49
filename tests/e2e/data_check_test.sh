#!/usr/bin/env bash
# `higgs-run data-check` on a folder of mixed audio: stereo 44.1 kHz WAV, 22.05 kHz FLAC, 48 kHz MP3,
# OGG/Vorbis, plus a corrupt, a missing and an empty file. The good samples load; the three bad ones
# are named with their reasons; the exit code follows max_bad_fraction. Also `dump-batch`: the
# collated batch written as safetensors holds one tensor per field with the expected shapes.
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
work=$build/test_tmp/e2e-data-check
rm -rf "$work" && mkdir -p "$work/audio"
cd "$work"

# Tokenizers and model config as the demo makes them (one speaker is enough for the sentencepiece model).
"$py" "$src/recipes/demo/make_demo_data.py" assets/data --speakers 1 --per-speaker 3 --german-speakers 0 > /dev/null
"$run" init-audio-tokenizer --config "$src/recipes/demo/tiny_audio_tokenizer.json" --out assets/audio_tokenizer \
  --seed 3 > /dev/null
mkdir -p assets/model
"$py" "$src/recipes/demo/make_tiny_model_config.py" "$src/tests/golden/higgs_audio_v2_3b/config.json" \
  assets/data/special_tokens.json "$(wc -l < assets/data/spm.vocab)" 256 assets/model/config.json > /dev/null

# Real speech in four formats and rates.
espeak-ng -w speech.wav "The quick brown fox jumps over the lazy dog." 2> /dev/null
sox speech.wav -r 44100 -c 2 audio/stereo44k.wav
sox speech.wav -r 22050 audio/mono22k.flac
sox speech.wav -r 48000 audio/mono48k.mp3
sox speech.wav -r 24000 audio/mono24k.ogg
head -c 4000 /dev/urandom > audio/corrupt.wav
: > audio/empty.wav
"$py" - <<'PY'
import json
def sample(ref, tgt):
    return {"messages": [
        {"role": "user", "content": "The quick brown fox."},
        {"role": "assistant", "content": {"type": "audio", "audio_url": ref}},
        {"role": "user", "content": "Jumps over the lazy dog."},
        {"role": "assistant", "content": {"type": "audio", "audio_url": tgt}}], "start_index": 3}
good = ["audio/stereo44k.wav", "audio/mono22k.flac", "audio/mono48k.mp3", "audio/mono24k.ogg"]
bad = ["audio/corrupt.wav", "audio/missing.wav", "audio/empty.wav"]
rows = [sample(good[i - 1], g) for i, g in enumerate(good)] + [sample(good[0], b) for b in bad]
with open("mixed.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY

recipe="$src/recipes/demo/tiny_zero_shot.jsonnet"
common=(--tla-str demo_dir="$work/assets" --set train_data.path="$work/mixed.jsonl" --threads 1)
set +e
"$run" data-check "$recipe" "${common[@]}" --set eval_data=null > strict.log 2>&1
strict_rc=$?
"$run" data-check "$recipe" "${common[@]}" --set eval_data=null --set train_data.max_bad_fraction=0.5 > lenient.log 2>&1
lenient_rc=$?
set -e
cat strict.log
fail() { echo "FAIL: $*"; exit 1; }
[[ $strict_rc -ne 0 ]] || fail "3 of 7 bad samples must fail the default max_bad_fraction"
[[ $lenient_rc -eq 0 ]] || { cat lenient.log; fail "max_bad_fraction=0.5 must pass (rc $lenient_rc)"; }
grep -q "train_data: 7 samples, 4 loaded, 3 skipped" strict.log || fail "counts"
grep -q "FAILED: more samples skipped than max_bad_fraction allows" strict.log || fail "no FAILED line"
[[ $(grep -c "^  skipped " strict.log) -eq 3 ]] || fail "exactly three skipped lines"
grep -E "skipped .*corrupt\.wav.*: .+" strict.log > /dev/null || fail "corrupt file not named"
grep -E "skipped .*missing\.wav.*: .*(not found|does not exist|No such file|missing)" strict.log > /dev/null ||
  fail "missing file not named with its reason"
grep -E "skipped .*empty\.wav.*: .+" strict.log > /dev/null || fail "empty file not named"
for good in stereo44k.wav mono22k.flac mono48k.mp3 mono24k.ogg; do
  if grep -q "skipped .*$good" strict.log; then fail "$good must load"; fi
done
grep -q "text tokens + audio frames: min" strict.log || fail "token statistics"

# --json: the same report as one JSON object on stdout (the log on stderr), exit status alike.
rc=0
"$run" data-check "$recipe" "${common[@]}" --set eval_data=null --json > strict.json 2> /dev/null || rc=$?
[[ $rc -eq $strict_rc ]] || fail "--json exit status $rc, the text form's $strict_rc"
"$py" - strict.json <<'PY' || fail "data-check --json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False, r
(s,) = r["splits"]
assert (s["split"], s["samples"], s["loaded"], s["failed"]) == ("train_data", 7, 4, True), s
for name in ["corrupt.wav", "empty.wav", "missing.wav"]:
    assert sum(name in x["source"] for x in s["skipped"]) == 1, (name, s["skipped"])
assert len(s["skipped"]) == 3, s
assert all(x["reason"] for x in s["skipped"]), s
assert abs(s["skipped_fraction"] - 3 / 7) < 1e-9 and s["audio_hours"] > 0, s
t = s["total_tokens"]
assert t["min"] <= t["p50"] <= t["p95"] <= t["max"] and t["min"] > 0, t
print(f"data-check --json: {s['loaded']}/{s['samples']} loaded, {len(s['skipped'])} skipped")
PY

# dump-batch: the first training batch (4 good samples survive; the bad ones are skipped by the loader).
"$run" dump-batch "$recipe" "${common[@]}" --set eval_data=null --set train_data.max_bad_fraction=0.5 \
  --set trainer.batch_size=2 --split train --index 0 --out batch.safetensors > dump.log 2>&1 ||
  { cat dump.log; fail "dump-batch"; }
"$py" - batch.safetensors <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
hdr.pop("__metadata__", None)
need = ["input_ids", "attention_mask", "label_ids", "audio_out_ids", "audio_out_ids_start", "label_audio_ids",
        "audio_in_ids", "audio_in_ids_start"]
for k in need:
    assert k in hdr, (k, sorted(hdr))
B, L = hdr["input_ids"]["shape"]
assert B == 2, hdr["input_ids"]
assert hdr["input_ids"]["dtype"] == "I64" and hdr["label_ids"]["shape"] == [B, L]
assert hdr["attention_mask"]["shape"] == [B, L]
assert L % 8 == 0, L  # round_to 8 in the demo collator
K = hdr["audio_out_ids"]["shape"][0]
assert hdr["label_audio_ids"]["shape"] == hdr["audio_out_ids"]["shape"], hdr
# Both clips of a zero-shot sample are assistant audio (audio-out): 2 segments per sample.
assert hdr["audio_out_ids_start"]["shape"] == [2 * B], hdr["audio_out_ids_start"]
assert hdr["audio_in_ids"]["shape"][1] == 0, hdr["audio_in_ids"]
print(f"dump-batch: B={B} L={L} K={K} audio_out frames={hdr['audio_out_ids']['shape'][1]}")
PY
echo "data-check and dump-batch e2e passed"
