#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the whole test suite, then ctest.
#
#   scripts/sanitize.sh                  configure build-asan/, build everything, run every test
#   scripts/sanitize.sh -R 'safetensors' extra arguments go to ctest
#
# Environment: ASAN_BUILD_DIR (build-asan), ASAN_JOBS (compile and test jobs, 2), ASAN_NICE (10).
# The runtime options below are needed because LibTorch, OpenBLAS and libgomp from Debian are not
# built with ASan; docs/reliability.md explains each one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ASAN_BUILD_DIR:-build-asan}
jobs=${ASAN_JOBS:-2}
root=$(pwd)
mkdir -p "$build"
cmake -S . -B "$build" -G Ninja -DHIGGS_SANITIZE=ON -DHIGGS_BUILD_BENCH=OFF > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
nice -n "${ASAN_NICE:-10}" cmake --build "$build" -j"$jobs"

# detect_leaks=0: LibTorch, libgomp and the Jsonnet VM keep process-lifetime allocations that
#   LeakSanitizer reports at exit (not ours to fix); leaks in our code are caught by the fuzzers,
#   which run LeakSanitizer per input.
# detect_odr_violation=0: LibTorch's libraries define the same globals more than once.
# alloc_dealloc_mismatch=0: memory allocated inside uninstrumented LibTorch may be freed from
#   instrumented inline code (and vice versa) with new/delete[] pairs ASan cannot see.
# UBSan halts on the first report, so a report fails the test that triggered it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_odr_violation=0:alloc_dealloc_mismatch=0:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$root/tests/sanitize/ubsan.supp}
nice -n "${ASAN_NICE:-10}" ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 2400 "$@"
