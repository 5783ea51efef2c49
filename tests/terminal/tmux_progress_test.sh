#!/usr/bin/env bash
# The terminal as a user sees it: the demo trains under tmux (a real terminal, 120 columns) with
# the progress bar, a log line every step and an evaluation; the pane, captured with its history,
# must show no line holding both the bar and a log message, the bar ending at 100%, and no
# evaluation bar left behind. Skipped (77) without tmux.
#   tmux_progress_test.sh SRC BUILD
set -euo pipefail
src=$1 build=$2
command -v tmux > /dev/null || { echo "tmux is not installed (scripts/setup.sh installs it)"; exit 77; }
work=$build/test_tmp/terminal-tmux
mkdir -p "$work" && rm -rf "${work:?}"/*
demo=$(bash "$src/tests/e2e/demo_assets.sh" "$src" "$build")
socket=higgs-test-$$
cleanup() { tmux -L "$socket" kill-server 2> /dev/null || true; }
trap cleanup EXIT
# The command in the pane: training, then its exit status into a file (the pane stays open).
cat > "$work/train.sh" <<SH
"$build/higgs-run" "$src/recipes/demo/tiny_zero_shot.jsonnet" --tla-str demo_dir="$demo" \
  --threads 1 --output-dir "$work/run" --set trainer.max_steps=16 --set trainer.log_every=1 \
  --set trainer.eval_every=8 --set trainer.save_every=0
echo "exit status \$?" > "$work/status"
sleep 600
SH
tmux -L "$socket" -f /dev/null new-session -d -x 120 -y 40 "bash $work/train.sh"
tmux -L "$socket" set-option -g history-limit 10000 > /dev/null
for _ in $(seq 1200); do [[ -f $work/status ]] && break; sleep 0.25; done
[[ -f $work/status ]] || { echo "training did not finish in 300 s"; tmux -L "$socket" capture-pane -p -S -; exit 1; }
tmux -L "$socket" capture-pane -p -J -S - > "$work/pane.txt"
cat "$work/pane.txt"
grep -q "exit status 0" "$work/status" || { echo "training failed: $(cat "$work/status")"; exit 1; }
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
"$py" - "$work/pane.txt" <<'PY'
import re, sys
lines = [l.rstrip() for l in open(sys.argv[1], encoding="utf-8", errors="replace")]
bar = re.compile(r"\b(train|eval) \[[#.]+\] +\d+% ")
log = re.compile(r"\[\d\d:\d\d:\d\d\] (info|warning|error) ")
both = [l for l in lines if bar.search(l) and log.search(l)]
assert not both, f"a bar and a log message on one line: {both}"
logged = [l for l in lines if log.search(l)]
steps = [l for l in logged if re.search(r"info step \d+/16 ", l)]
assert len(steps) == 16, f"{len(steps)} step lines, expected 16"
assert any("eval/loss" in l or "eval " in l for l in logged), "no evaluation line"
bars = [l for l in lines if bar.search(l)]
assert bars, "no progress bar on screen"
assert all(l.startswith("train [") for l in bars), f"an evaluation bar was left behind: {bars}"
assert len(bars) == 1 and " 100% 16/16 step " in bars[0], f"the bar does not end at 100%: {bars}"
# It is the last line the run drew before the exit status was written.
print(f"tmux: {len(logged)} log lines, the bar alone on its line: {bars[0]}")
PY
