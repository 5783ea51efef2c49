#!/usr/bin/env bash
# Data pipeline throughput, higgs-train C++ vs its Python peer, in the same run on the same ChatML
# file: text layout + tokenization (sentencepiece), audio codes from the on-disk cache, 16 kHz
# waveforms + Whisper log-mel for audio-in clips, collation with the delay pattern.
#
#   bench/data_pipeline.sh [BUILD_DIR=build] [--batch N] [--repeat N] [--threads N]
#
# Two settings: the demo recipe as it trains (codes only), and the seed's Whisper conditioning
# (the reference clip in the user turn as audio-in, Whisper features on).
# Needs: a built BUILD_DIR (higgs-run and bench/data_pipeline), espeak-ng, sox, spm_train,
# /usr/bin/python3 with torch, torchaudio, soundfile and sentencepiece.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
ARGS=("$@")
DATA=$BUILD/bench_pipeline_data
BIN=$BUILD/bench/data_pipeline
[[ -x $BIN ]] || cmake --build "$BUILD" --target data_pipeline higgs-run > /dev/null

if [[ ! -f $DATA/.done ]]; then
  rm -rf "$DATA" && mkdir -p "$DATA/model"
  /usr/bin/python3 recipes/demo/make_demo_data.py "$DATA/data" --speakers 6 --per-speaker 10 > /dev/null
  "$BUILD/higgs-run" init-audio-tokenizer --config recipes/demo/tiny_audio_tokenizer.json \
    --out "$DATA/audio_tokenizer" --seed 3 > /dev/null
  /usr/bin/python3 recipes/demo/make_tiny_model_config.py tests/golden/higgs_audio_v2_3b/config.json \
    "$DATA/data/special_tokens.json" "$(wc -l < "$DATA/data/spm.vocab")" 256 "$DATA/model/config.json" > /dev/null
  # The seed's layout: reference text and clip in the user turn (audio-in, Whisper-conditioned).
  /usr/bin/python3 - "$DATA/data/train.jsonl" "$DATA/data/train_audio_in.jsonl" <<'EOF'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        s = json.loads(line)
        m = s["messages"]
        s["messages"] = [m[0], {"role": "user", "content": [m[1]["content"], m[2]["content"]]}, m[3], m[4]]
        s["start_index"] = 3
        out.write(json.dumps(s) + "\n")
EOF
  touch "$DATA/.done"
fi

recipe=recipes/demo/tiny_zero_shot.jsonnet
common=(--tla-str demo_dir="$DATA" --set eval_data=null)
whisper=(--set train_data.type=chatml --set train_data.path="$DATA/data/train_audio_in.jsonl"
         --set train_data.load_waveforms=true --set collator.encode_whisper_embed=true
         --set 'feature_extractor={"type":"whisper_log_mel"}')
peer=(/usr/bin/python3 bench/python/data_pipeline_peer.py)
spm=("$DATA/data/spm.model" "$DATA/data/special_tokens.json")

echo "== codes only (the demo recipe) =="
CPP=$("$BIN" "$recipe" "${common[@]}" "${ARGS[@]}" 2> /dev/null | grep "^{")
echo "$CPP"
PY=$("${peer[@]}" "$DATA/data/train.jsonl" "${spm[@]}" "$DATA/peer_cache" "${ARGS[@]}")
echo "$PY"
echo "== Whisper conditioning (reference clip as audio-in) =="
CPPW=$("$BIN" "$recipe" "${common[@]}" "${whisper[@]}" "${ARGS[@]}" 2> /dev/null | grep "^{")
echo "$CPPW"
PYW=$("${peer[@]}" "$DATA/data/train_audio_in.jsonl" "${spm[@]}" "$DATA/peer_cache" --whisper "${ARGS[@]}")
echo "$PYW"
/usr/bin/python3 - "$CPP" "$PY" "$CPPW" "$PYW" <<'EOF'
import json, sys
rows = [{d["pass"]: d for d in map(json.loads, a.splitlines())} for a in sys.argv[1:5]]
print("== steady-state samples per second (higher is better) ==")
print(f"{'setting':<22}{'C++':>10}{'Python':>10}{'C++/Py':>8}{'tokens C++/Py':>18}{'windows C++/Py':>16}")
for name, cpp, py in (("codes only", rows[0], rows[1]), ("whisper", rows[2], rows[3])):
    c, p = cpp["steady"], py["steady"]
    print(f"{name:<22}{c['samples_per_s']:>10.1f}{p['samples_per_s']:>10.1f}{c['samples_per_s'] / p['samples_per_s']:>8.2f}"
          f"{c['text_tokens']:>10}/{p['text_tokens']:<7}{c['whisper_windows']:>8}/{p['whisper_windows']:<7}")
EOF
