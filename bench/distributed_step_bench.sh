#!/usr/bin/env bash
# Step rate of data parallelism on the demo recipe: 2 processes x batch 2 (Gloo, one thread each)
# against its peer, 1 process x batch 4 with one thread, the same global batch, alternated REPS
# times. Needs build/higgs-run and demo assets (scripts/demo.sh, or the e2e_distributed tests'
# build/test_tmp/dist-demo-assets). Usage: bench/distributed_step_bench.sh [DEMO_DIR] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${1:-build/test_tmp/dist-demo-assets} reps=${2:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
c=(recipes/demo/tiny_zero_shot.jsonnet --tla-str demo_dir="$demo" --set trainer.max_steps=8
   --set trainer.eval_every=0 --set trainer.save_every=0 --set trainer.log_every=1
   --set trainer.progress_bar=false --set trainer.num_workers=1 --threads 1)
sps() { /usr/bin/python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print('%.3f' % [x for x in r if 'steps_per_second' in x][-1]['steps_per_second'])" "$1/metrics.jsonl"; }
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for rep in $(seq 1 "$reps"); do
  for r in 0 1; do
    RANK=$r WORLD_SIZE=2 LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      build/higgs-run "${c[@]}" --set trainer.batch_size=2 --output-dir "$out/two$rep" > "$out/two$rep.r$r.log" 2>&1 &
  done
  wait
  build/higgs-run "${c[@]}" --set trainer.batch_size=4 --output-dir "$out/one$rep" > "$out/one$rep.log" 2>&1
  echo "rep $rep: 2 procs x batch 2: $(sps "$out/two$rep") steps/s; 1 proc x batch 4: $(sps "$out/one$rep") steps/s (load $(cut -d' ' -f1 /proc/loadavg))"
done
