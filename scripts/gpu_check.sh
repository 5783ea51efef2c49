#!/usr/bin/env bash
# The GPU check: builds higgs-run against this machine's torch and checks the CUDA paths.
#   (a) tests/unit/device on CUDA: fp32 forward + backward equal to the CPU within 1e-4, bf16
#       within bf16 rounding, gradient checkpointing with LoRA dropout equal to none, a one-process
#       NCCL group;
#   (b) the trainer on NCCL with world size 1 (HIGGS_DIST_BACKEND=nccl);
#   (c) the demo recipe on CUDA, loss falling;
#   (d) bench/train_step at the released architecture (random weights): bf16 frozen base, LoRA r16
#       on every projection, gradient checkpointing, batch 1x2048 and 4x1024 tokens: tokens/s, MFU
#       against the GPU's dense bf16 peak, peak memory.
# Summary in $OUT/gpu_check/ (or gpu_check_out/): summary.md, *.json, logs.
#
#   scripts/gpu_check.sh            on a machine with an NVIDIA GPU (needs python3 with a CUDA torch,
#                                   cmake, ninja, nvcc, a C++ compiler; no network: Debian packages
#                                   from gpu_bundle/, made by scripts/gpu_bundle.sh)
#   scripts/gpu_check.sh --cpu      the CPU half (what CI runs): the same steps on the CPU, at toy
#                                   size for (d), with the project venv and an existing build
# Environment: GPU_CHECK_BUILD (build directory; default build-gpu, or build with --cpu),
# GPU_CHECK_JOBS (compile jobs), GPU_CHECK_FULL_STEPS (bench steps, 5).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mode=gpu
[[ ${1:-} == --cpu ]] && mode=cpu
out=${OUT:-$root/gpu_check_out}/gpu_check
mkdir -p "$out"
t_start=$(date +%s)
log() { echo "gpu_check [$(( $(date +%s) - t_start )) s] $*"; }
fail() { echo "gpu_check: FAILED: $*" >&2; echo "- FAILED: $*" >> "$out/summary.md"; exit 1; }
: > "$out/summary.md"

if [[ $mode == gpu ]]; then
  py=${HIGGS_PYTHON:-$(command -v python3)}
  "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || fail "$py has no CUDA torch or sees no GPU (use --cpu for the CPU half)"
  build=${GPU_CHECK_BUILD:-build-gpu}
  bundle=$root/gpu_bundle
  [[ -d $bundle/prefix ]] || fail "gpu_bundle/ is missing: run scripts/gpu_bundle.sh on a development machine and carry it"
  prefix=$bundle/prefix/usr
  arch=x86_64-linux-gnu
  export PATH=$prefix/bin:$PATH
  # Only the bundle's .pc files: with the sysroot set, a system one would get the wrong prefix.
  export PKG_CONFIG_LIBDIR=$prefix/lib/$arch/pkgconfig:$prefix/share/pkgconfig
  export PKG_CONFIG_SYSROOT_DIR=$bundle/prefix
  export LD_LIBRARY_PATH=$prefix/lib/$arch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  jobs=${GPU_CHECK_JOBS:-$(nproc)}
  log "configuring $build against $("$py" -c 'import torch; print(torch.__version__)')"
  cmake -S . -B "$build" -G Ninja -DHIGGS_PYTHON="$py" -DHIGGS_BUILD_BENCH=ON \
    -DCMAKE_PREFIX_PATH="$prefix;$prefix/lib/$arch/cmake;$prefix/share/cmake" > "$out/configure.log" 2>&1 \
    || { tail -30 "$out/configure.log"; fail "configure (see configure.log)"; }
  log "building with $jobs jobs"
  cmake --build "$build" -j "$jobs" --target higgs-run higgs_tests train_step > "$out/build.log" 2>&1 \
    || { grep -m5 -A5 "error" "$out/build.log"; fail "build (see build.log)"; }
  demo=$bundle/demo
  device=cuda
else
  py=${HIGGS_PYTHON:-$root/.venv/bin/python}
  build=${GPU_CHECK_BUILD:-build}
  [[ -x $build/higgs-run && -x $build/tests/higgs_tests ]] || fail "$build has no higgs-run and higgs_tests: build first"
  if [[ ! -x $build/bench/train_step ]]; then
    log "building train_step in $build"
    cmake -S . -B "$build" -DHIGGS_BUILD_BENCH=ON > "$out/configure.log" 2>&1 || fail "configure"
    cmake --build "$build" --target train_step > "$out/build.log" 2>&1 || fail "build of train_step (see build.log)"
  fi
  demo=$build/test_tmp/gpu-check-demo
  if [[ ! -f $demo/model/config.json ]]; then
    "$py" recipes/demo/make_demo_data.py "$demo/data" --speakers 2 --per-speaker 6 --eval-per-speaker 1 > /dev/null
    "$build/higgs-run" init-audio-tokenizer --config recipes/demo/tiny_audio_tokenizer.json --out "$demo/audio_tokenizer" --seed 3 > /dev/null
    mkdir -p "$demo/model"
    "$py" recipes/demo/make_tiny_model_config.py tests/golden/higgs_audio_v2_3b/config.json \
      "$demo/data/special_tokens.json" "$(wc -l < "$demo/data/spm.vocab")" 256 "$demo/model/config.json" > /dev/null
  fi
  device=cpu
fi
run=$build/higgs-run
"$run" info > "$out/info.txt"
"$run" info --json > "$out/info.json"
{ echo "# higgs-train GPU check ($mode mode), $(date -u +%Y-%m-%dT%H:%MZ)"; echo; echo '```'; cat "$out/info.txt"; echo '```'; } >> "$out/summary.md"
if [[ $mode == gpu ]]; then
  grep -q "CUDA        compiled yes" "$out/info.txt" || fail "higgs-run info: CUDA not compiled"
  grep -q "available yes" "$out/info.txt" || fail "higgs-run info: no CUDA device"
  grep -q "nccl" "$out/info.txt" || fail "higgs-run info: NCCL not compiled"
fi

# (a) device tests.
log "(a) device tests on $device"
HIGGS_TEST_DEVICE=$device OMP_NUM_THREADS=1 "$build/tests/higgs_tests" -tc='device:*' > "$out/device_tests.log" 2>&1 \
  || { tail -40 "$out/device_tests.log"; fail "(a) device tests (see device_tests.log)"; }
echo "- (a) device tests on $device: $(grep -E '^\[doctest\] (test cases|assertions)' "$out/device_tests.log" | tr '\n' ' ')" >> "$out/summary.md"

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
recipe=recipes/demo/tiny_zero_shot.jsonnet
common=(--tla-str demo_dir="$demo" --device "$device" --set trainer.progress_bar=false --set trainer.save_every=0)
[[ $mode == cpu ]] && common+=(--threads 1)

# (b) the trainer on a one-process NCCL (CPU: Gloo) group.
backend=$([[ $mode == gpu ]] && echo nccl || echo gloo)
log "(b) trainer on $backend, world size 1"
rm -rf "$out/run_pg"
RANK=0 WORLD_SIZE=1 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) HIGGS_DIST_BACKEND=$backend \
  "$run" "$recipe" "${common[@]}" --set trainer.max_steps=3 --set trainer.log_every=1 --set trainer.eval_every=0 \
  --output-dir "$out/run_pg" > "$out/trainer_pg.log" 2>&1 || { tail -30 "$out/trainer_pg.log"; fail "(b) trainer on $backend"; }
"$py" - "$out/run_pg" "$backend" <<'PY' || fail "(b) trainer on $backend: checks"
import json, sys
run, backend = sys.argv[1], sys.argv[2]
meta = json.load(open(run + "/meta.json"))
assert meta["distributed_backend"] == backend, meta["distributed_backend"]
steps = [json.loads(l) for l in open(run + "/metrics.jsonl") if "train/loss" in l]
assert len(steps) == 3, steps
PY
echo "- (b) trainer on a one-process $backend group: 3 steps, meta.json distributed_backend=$backend" >> "$out/summary.md"

# (c) the demo recipe, loss falling.
steps_c=$([[ $mode == gpu ]] && echo 200 || echo 30)
log "(c) demo recipe on $device, $steps_c steps"
rm -rf "$out/run_demo"
t0=$(date +%s)
"$run" "$recipe" "${common[@]}" --set trainer.max_steps="$steps_c" --set trainer.log_every=10 \
  --output-dir "$out/run_demo" > "$out/demo.log" 2>&1 || { tail -30 "$out/demo.log"; fail "(c) demo recipe"; }
demo_s=$(( $(date +%s) - t0 ))
"$py" - "$out/run_demo" "$demo_s" "$out/demo.json" <<'PY' || fail "(c) demo recipe: loss did not fall"
import json, sys
run, secs, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rec = [json.loads(l) for l in open(run + "/metrics.jsonl")]
loss = [r["train/loss"] for r in rec if "train/loss" in r]
mem = [r.get("memory/peak_allocated_gib") for r in rec if "train/loss" in r]
out = {"steps": rec[-1].get("step"), "first_loss": loss[0], "last_loss": loss[-1], "seconds": secs,
       "peak_allocated_gib": max((m for m in mem if m is not None), default=None)}
json.dump(out, open(dst, "w"))
print(out)
assert len(loss) >= 3 and loss[-1] < 0.8 * loss[0], loss
PY
echo "- (c) demo recipe on $device: $(cat "$out/demo.json")" >> "$out/summary.md"

# (d) train_step.
if [[ $mode == gpu ]]; then
  bench=(--config tests/golden/higgs_audio_v2_3b/config.json --device cuda --dtype bfloat16 --lora-r 16
         --checkpointing --steps "${GPU_CHECK_FULL_STEPS:-5}" --threads 4 --json)
  shapes=("1 2048" "4 1024")
else
  bench=(--device cpu --dtype float32 --lora-r 4 --checkpointing --steps 1 --threads 1 --json)
  shapes=("1 256" "2 128")
fi
for shape in "${shapes[@]}"; do
  read -r b t <<< "$shape"
  log "(d) train_step batch $b x $t tokens"
  "$build/bench/train_step" "${bench[@]}" --batch "$b" --tokens "$t" > "$out/train_step_${b}x${t}.json" 2> "$out/train_step_${b}x${t}.log" \
    || { tail -20 "$out/train_step_${b}x${t}.log"; fail "(d) train_step ${b}x${t}"; }
  echo "- (d) train_step ${b}x${t}: $(cat "$out/train_step_${b}x${t}.json")" >> "$out/summary.md"
done
log "all checks passed ($mode mode); summary in $out/summary.md"
cat "$out/summary.md"
