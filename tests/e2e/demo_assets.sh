#!/usr/bin/env bash
# Makes the demo assets the e2e tests share (espeak-ng data + sentencepiece model, tiny audio
# tokenizer, tiny model config) once, under a lock, into BUILD/test_tmp/demo-assets; prints the path.
# Tests run in parallel under ctest: the assets are made in a temporary folder and renamed, so a
# test never sees a half-made folder.
#   demo_assets.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
demo=$build/test_tmp/demo-assets
mkdir -p "$build/test_tmp"
exec 9> "$demo.lock"
flock 9
if [[ ! -f $demo/model/config.json ]]; then
  tmp=$demo.tmp
  rm -rf "$tmp" "$demo"
  "$py" "$src/recipes/demo/make_demo_data.py" "$tmp/data" --speakers 3 --per-speaker 6 > /dev/null
  "$build/higgs-run" init-audio-tokenizer --config "$src/recipes/demo/tiny_audio_tokenizer.json" \
    --out "$tmp/audio_tokenizer" --seed 3 > /dev/null
  mkdir -p "$tmp/model"
  "$py" "$src/recipes/demo/make_tiny_model_config.py" "$src/tests/golden/higgs_audio_v2_3b/config.json" \
    "$tmp/data/special_tokens.json" "$(wc -l < "$tmp/data/spm.vocab")" 256 "$tmp/model/config.json" > /dev/null
  mv "$tmp" "$demo"
fi
echo "$demo"
