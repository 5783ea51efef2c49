#!/usr/bin/env bash
# Sets everything up on Debian 12 (packages, and the project venv whose torch wheel carries
# LibTorch) and runs the test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Formatting first: it takes seconds and needs no build.
bash scripts/check_format.sh
# Benchmarks are not run by tests; developers build them (HIGGS_BUILD_BENCH defaults to ON).
cmake -S . -B build -G Ninja -DHIGGS_BUILD_BENCH=OFF
cmake --build build
ctest --test-dir build --output-on-failure --timeout 900 -j2
# The CPU half of the GPU check (docs/install.md): device tests against a CPU copy, the trainer on
# a one-process Gloo group, the demo recipe, bench/train_step with LoRA and checkpointing.
bash scripts/gpu_check.sh --cpu
# Each fuzz target briefly (clang, build-fuzz/, only the sources under test; docs/reliability.md):
# the same 5,000 inputs per target on every machine (fixed seed and count; at most 60 s each).
# Longer campaigns are a developer's `scripts/fuzz.sh 600` (docs/reliability.md): CI keeps under
# its 30 minutes.
FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_RUNS=${FUZZ_RUNS:-5000} bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
