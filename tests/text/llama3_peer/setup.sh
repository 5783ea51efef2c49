#!/usr/bin/env bash
# Prepares the llama3_bpe peer test in OUT_DIR (a folder of the build tree):
#  - Meta's Llama-3 tokenizer.model (tiktoken ranks) and tokenizer.py, read out of the llama-models
#    wheel from PyPI (pip download --no-deps: a zip, nothing installed). The wheel is cached in
#    OUT_DIR, so only the first run needs PyPI;
#  - llama3_tokenizer.json converted from tokenizer.model (tests/python/tiktoken_to_llama3_json.py)
#    and higgs_tokenizer.json (reserved special tokens renamed per
#    tests/golden/text/higgs_tokenizer_config.json);
#  - where ../shared/reference/llama3-tokenizer/tokenizer.json exists beside the source tree, a
#    copy of it (reference_llama3_tokenizer.json), which the test compares with the converted one;
#  - corpus.jsonl (deterministic, see tests/python/make_tokenizer_corpus.py), specials.jsonl;
#  - the peers' ids: Hugging Face tokenizers (peer_higgs.json, peer_llama3.json,
#    peer_specials.json, peer_reference.json) and tiktoken with Meta's Encoding
#    (tiktoken_higgs.json, tiktoken_llama3.json); meta_specials.json (Meta's tokenizer.py list).
# Usage: setup.sh OUT_DIR        Exit status is non-zero, with a message, on any failure.
# Python: $HIGGS_PYTHON, else the project venv; it needs tokenizers and tiktoken
# (scripts/requirements.txt). Offline: put the wheel in OUT_DIR or name it in
# HIGGS_LLAMA_MODELS_WHEEL.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$src/../../.." && pwd)"
out="${1:?usage: setup.sh OUT_DIR}"
py="${HIGGS_PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
# One setup at a time (ctest runs test cases as parallel processes).
exec 9>"$out/.setup.lock"
flock 9
config="$root/tests/golden/text/higgs_tokenizer_config.json"
reference="$root/../shared/reference/llama3-tokenizer/tokenizer.json"
wheel_name=llama_models-0.3.0-py3-none-any.whl
wheel_sha256=7f77f78ff13fca09f70d76a376aff6414cd901623fb9d57e69c2f8367a73032f
wheel="$out/$wheel_name"

fail() { echo "llama3_bpe peer: $*" >&2; exit 1; }
[ -x "$py" ] || fail "no python at $py (make the project venv with scripts/setup.sh, or set HIGGS_PYTHON)"
versions="$("$py" -c 'import sys, tokenizers, tiktoken; print(sys.version.split()[0], tokenizers.__version__, tiktoken.__version__)' 2>&1)" ||
  fail "$py cannot import tokenizers and tiktoken ($versions). Install them: $py -m pip install -r $root/scripts/requirements.txt"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ ! -f "$wheel" ] || [ "$(sha_of "$wheel")" != "$wheel_sha256" ]; then
  rm -rf "$out/wheel.tmp" && mkdir -p "$out/wheel.tmp"
  if [ -n "${HIGGS_LLAMA_MODELS_WHEEL:-}" ]; then
    cp "$HIGGS_LLAMA_MODELS_WHEEL" "$out/wheel.tmp/$wheel_name"
  elif ! "$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q \
      -d "$out/wheel.tmp" llama-models==0.3.0 2>&1; then
    fail "'pip download --no-deps llama-models==0.3.0' failed. This test reads Meta's Llama-3
tokenizer.model out of that wheel and needs PyPI once; the wheel is then kept in $out.
Offline: copy $wheel_name (sha256 $wheel_sha256) into $out, or set HIGGS_LLAMA_MODELS_WHEEL to its path."
  fi
  got="$(sha_of "$out/wheel.tmp/$wheel_name")"
  [ "$got" = "$wheel_sha256" ] || fail "$wheel_name has sha256 $got, expected $wheel_sha256 (pinned)"
  mv "$out/wheel.tmp/$wheel_name" "$wheel" && rm -rf "$out/wheel.tmp"
fi

# Everything below depends only on these inputs: skip it when they have not changed.
stamp="$( (cat "$src/setup.sh" "$src/encode.py" "$src/extract_meta_tokenizer.py" "$config" \
  "$root/tests/python/tiktoken_to_llama3_json.py" "$root/tests/python/make_higgs_tokenizer_json.py" \
  "$root/tests/python/make_tokenizer_corpus.py"
  echo "$py $versions $wheel_sha256"
  if [ -f "$reference" ]; then sha_of "$reference"; fi) | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "llama3_bpe peer: up to date in $out"
  exit 0
fi
rm -f "$out/.stamp" "$out/reference_llama3_tokenizer.json" "$out/peer_reference.json"
"$py" "$src/extract_meta_tokenizer.py" "$wheel" "$out/meta"
cp "$out/meta/llama_models/llama3/tokenizer.model" "$out/tokenizer.model"
"$py" "$root/tests/python/tiktoken_to_llama3_json.py" "$out/tokenizer.model" "$out/llama3_tokenizer.json"
"$py" "$root/tests/python/make_higgs_tokenizer_json.py" "$out/llama3_tokenizer.json" "$config" \
  "$out/higgs_tokenizer.json"
"$py" "$root/tests/python/make_tokenizer_corpus.py" "$config" "$out/corpus.jsonl" 2400
"$py" - "$config" "$out/specials.jsonl" <<'PY'
import json, sys
dec = json.load(open(sys.argv[1], encoding="utf-8"))["added_tokens_decoder"]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for k in sorted(dec, key=int):
        f.write(json.dumps(dec[k]["content"]) + "\n")
PY
enc() { "$py" "$src/encode.py" "$@"; }
enc meta-specials "$out/meta" > "$out/meta_specials.json"
enc hf "$out/higgs_tokenizer.json" "$out/corpus.jsonl" > "$out/peer_higgs.json"
enc hf "$out/llama3_tokenizer.json" "$out/corpus.jsonl" > "$out/peer_llama3.json"
enc hf "$out/higgs_tokenizer.json" "$out/specials.jsonl" > "$out/peer_specials.json"
enc tiktoken "$out/meta" "$out/corpus.jsonl" --specials-from "$out/higgs_tokenizer.json" \
  > "$out/tiktoken_higgs.json"
enc tiktoken "$out/meta" "$out/corpus.jsonl" --specials-from "$out/llama3_tokenizer.json" \
  > "$out/tiktoken_llama3.json"
if [ -f "$reference" ]; then
  cp "$reference" "$out/reference_llama3_tokenizer.json"
  enc hf "$out/reference_llama3_tokenizer.json" "$out/corpus.jsonl" > "$out/peer_reference.json"
fi
echo "$stamp" > "$out/.stamp"
echo "llama3_bpe peer: ready in $out$([ -f "$reference" ] || echo " (no $reference: the comparison with the real tokenizer.json is skipped)")"
