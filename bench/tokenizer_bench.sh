#!/usr/bin/env bash
# llama3_bpe vs the Python peer (Hugging Face tokenizers) on a generated corpus, in one run.
#   bench/tokenizer_bench.sh [BUILD_DIR=build] [N_LINES=20000] [extra tokenizer_bench flags...]
# Needs: the tokenizer_bench target built (cmake --build BUILD --target tokenizer_bench), the
# project venv (or HIGGS_PYTHON) with tokenizers and tiktoken, and PyPI on the first run (Meta's
# tokenizer.model comes from the llama-models wheel, kept under BUILD/text/llama3_peer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
lines="${2:-20000}"
shift $(( $# > 2 ? 2 : $# ))
py="${HIGGS_PYTHON:-$root/.venv/bin/python}"
bin="$build/bench/tokenizer_bench"
[ -x "$bin" ] || { echo "tokenizer_bench: $bin not built (cmake --build $build --target tokenizer_bench)" >&2; exit 1; }
peer="$build/text/llama3_peer"
HIGGS_PYTHON="$py" bash "$root/tests/text/llama3_peer/setup.sh" "$peer"
corpus="$build/text/bench_corpus_$lines.jsonl"
[ -f "$corpus" ] || "$py" "$root/tests/python/make_tokenizer_corpus.py" \
  "$root/tests/golden/text/higgs_tokenizer_config.json" "$corpus" "$lines"
"$bin" --tokenizer "$peer/higgs_tokenizer.json" --corpus "$corpus" \
  --peer-script "$root/tests/text/llama3_peer/encode.py" --python "$py" --repeat 3 "$@"
