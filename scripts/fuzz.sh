#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ (cmake -DHIGGS_FUZZ=ON; only the few
# sources each target exercises are compiled) and runs each for a set time, starting from the
# seed corpus tests/fuzz/corpus/NAME. Fails on the first crash, leak, UBSan report or timeout;
# the input is left in build-fuzz/fuzz-artifacts/NAME/ (add it to tests/fuzz/regressions/NAME
# once fixed: the ctest fuzz_replay_NAME replays it in every build).
#
#   scripts/fuzz.sh                      every target for 60 s
#   scripts/fuzz.sh 15                   every target for 15 s (what scripts/test.sh runs)
#   scripts/fuzz.sh 600 audio chatml     two targets for 10 minutes each
#
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (compile jobs, 2), FUZZ_MAX_LEN (4096),
# FUZZ_SEED (libFuzzer's -seed; unset = random), FUZZ_RUNS (stop each target after this many
# inputs; the time limit still caps it). scripts/test.sh fixes both, so every CI run tries exactly
# the same inputs on any machine and a crash it finds is reproducible with the same two values.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${FUZZ_SECONDS:-60}}
[[ $# -gt 0 ]] && shift
targets=("$@")
((${#targets[@]})) || targets=(chatml recipe safetensors pickle audio)
build=${FUZZ_BUILD_DIR:-build-fuzz}
max_len=${FUZZ_MAX_LEN:-4096}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)"; exit 2; }
t0=$(date +%s)
mkdir -p "$build"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHIGGS_FUZZ=ON \
  -DHIGGS_BUILD_BENCH=OFF > "$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target $(printf 'fuzz_%s ' "${targets[@]}")
t1=$(date +%s)
echo "fuzz.sh: built ${#targets[@]} targets in $((t1 - t0)) s"

# ASan/UBSan with an uninstrumented LibTorch and libsndfile: see docs/reliability.md.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0}
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  work=$build/fuzz-corpus/$t
  art=$build/fuzz-artifacts/$t
  log=$build/fuzz-$t.log
  mkdir -p "$work" "$art"
  # The seed corpus is read, never written: new inputs go to $work (kept between runs).
  if OMP_NUM_THREADS=1 "$bin" "$work" "tests/fuzz/corpus/$t" -max_total_time="$secs" \
       ${FUZZ_SEED:+-seed=$FUZZ_SEED} ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
       -artifact_prefix="$art/" -print_final_stats=1 > "$log" 2>&1; then
    res=ok
  else
    res=FAILED
    status=1
    tail -n 40 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  summary+=("$(printf '%-12s %-6s %5s s %10s execs %8s execs/s  cov %s  corpus %s' "$t" "$res" "${took:-$secs}" \
    "${runs:-?}" "${rate:-?}" "${cov:-?}" "$(ls "$work" | wc -l)")")
done
printf '%s\n' "${summary[@]}"
echo "fuzz.sh: total $(($(date +%s) - t0)) s (build $((t1 - t0)) s)"
exit $status
