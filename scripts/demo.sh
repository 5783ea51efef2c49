#!/usr/bin/env bash
# Sets everything up on Debian 12 (packages, and the project venv whose torch wheel carries
# LibTorch) and runs the demo recipe: a tiny Higgs Audio model trained on a small espeak-ng speech
# dataset made locally. Extra arguments go to higgs-run
# (e.g. --set trainer.max_steps=20).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
py=${HIGGS_PYTHON:-.venv/bin/python}
cmake -S . -B build -G Ninja
cmake --build build --target higgs-run
demo=${HIGGS_DEMO_DIR:-demo_runs}
if [[ ! -f $demo/data/train_de.jsonl ]]; then  # (older demo data has one language)
  "$py" recipes/demo/make_demo_data.py "$demo/data"
fi
if [[ ! -f $demo/audio_tokenizer/model.safetensors ]]; then
  build/higgs-run init-audio-tokenizer --config recipes/demo/tiny_audio_tokenizer.json \
    --out "$demo/audio_tokenizer" --seed 3
fi
mkdir -p "$demo/model"
vocab=$(wc -l < "$demo/data/spm.vocab")
"$py" recipes/demo/make_tiny_model_config.py tests/golden/higgs_audio_v2_3b/config.json \
  "$demo/data/special_tokens.json" "$vocab" 256 "$demo/model/config.json"
rm -rf "$demo/run"
build/higgs-run recipes/demo/tiny_zero_shot.jsonnet --tla-str demo_dir="$demo" "$@"
echo
echo "Demo finished. Run directory: $demo/run (metrics.jsonl, checkpoints, final/)."
