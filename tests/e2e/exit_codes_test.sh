#!/usr/bin/env bash
# The exit statuses of docs/cli.md's table, each from a real run: 0 success, 1 a failure while
# running, 2 a recipe or usage error, 75 a run stopped by a signal after writing its checkpoint.
#   exit_codes_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
run=$build/higgs-run
work=$build/test_tmp/e2e-exit-codes
mkdir -p "$work" && rm -rf "${work:?}"/*
# The table's codes, in order, as the docs give them.
documented=$(sed -n '/^| Code | Meaning/,/^$/p' "$src/docs/cli.md" | grep -oE '^\| [0-9]+ ' | tr -dc '0-9 \n' | xargs)
[[ $documented == "0 1 2 75" ]] || { echo "docs/cli.md lists exit codes '$documented'"; exit 1; }
expect() {  # CODE DESCRIPTION COMMAND...
  local want=$1 what=$2 rc=0
  shift 2
  "$@" > "$work/out.log" 2>&1 || rc=$?
  [[ $rc == "$want" ]] || { echo "$what: exit $rc, expected $want"; cat "$work/out.log"; exit 1; }
  echo "exit $rc: $what"
}
expect 0 "version" "$run" version
expect 2 "an unknown option" "$run" list --no-such-option
expect 2 "a mistyped command" "$run" valdiate r.jsonnet
expect 2 "a recipe error" "$run" validate /nonexistent/recipe.jsonnet
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")
recipe=$src/recipes/demo/tiny_zero_shot.jsonnet
common=(--tla-str demo_dir="$demo" --threads 1 --set trainer.progress_bar=false)
# 1: a failure while running (the recipe is valid; its data file is not there).
expect 1 "a runtime failure (data file missing)" "$run" data-check "$recipe" "${common[@]}" \
  --set train_data.path="$work/nope.jsonl"
# 75: SIGTERM once training has logged a step; a checkpoint is written, --resume auto continues.
rc=0
"$run" "$recipe" "${common[@]}" --output-dir "$work/signal" --set trainer.max_steps=100000 \
  --set trainer.log_every=1 --set trainer.save_every=0 > "$work/signal.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do [[ -s $work/signal/metrics.jsonl ]] && break; sleep 0.1; done
kill -TERM $pid
wait $pid || rc=$?
[[ $rc == 75 ]] || { echo "SIGTERM: exit $rc, expected 75"; cat "$work/signal.log"; exit 1; }
grep -q "stopped by signal 15 at step .*; checkpoint written, continue with --resume auto" "$work/signal.log"
ls -d "$work"/signal/checkpoint-* > /dev/null
echo "exit 75: stopped by SIGTERM with a checkpoint"
