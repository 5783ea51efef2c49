#!/usr/bin/env bash
# Prepares gpu_bundle/ (ignored by git) for scripts/gpu_check.sh on a GPU machine that has a CUDA
# torch, cmake, ninja and nvcc but no package registry: the Debian 12 packages higgs-train builds
# against, as .deb files unpacked with dpkg -x into gpu_bundle/prefix (about 15 MB), and the demo
# assets (espeak-ng speech, a random tiny audio tokenizer, a tiny model config), made here because
# the GPU machine has neither espeak-ng nor sox. Run it on a development machine after
# scripts/setup.sh and a build (it uses build/higgs-run); carry gpu_bundle/ along with the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
out=gpu_bundle
py=${HIGGS_PYTHON:-.venv/bin/python}
run=${HIGGS_RUN:-build/higgs-run}
[[ -x $run ]] || { echo "gpu_bundle: $run not found: build first (cmake --build build --target higgs-run)" >&2; exit 1; }
# The -dev packages of what CMake finds (headers, CMake/pkg-config files, the .so links), the
# runtime libraries behind them, and what their pkg-config files require; pkgconf itself, as the
# GPU machine may have no pkg-config.
PKGS=(
  libyaml-cpp-dev libyaml-cpp0.7 libjsonnet-dev libjsonnet0 libsentencepiece-dev libsentencepiece0
  libsndfile1-dev libsndfile1 libflac-dev libflac12 libogg-dev libogg0 libvorbis-dev libvorbis0a
  libvorbisenc2 libvorbisfile3 libopus-dev libopus0 libmpg123-dev libmpg123-0 libmp3lame0
  libsoxr-dev libsoxr0 libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 doctest-dev nlohmann-json3-dev
  libcli11-dev libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libgloo-dev
  libicu-dev libicu72 icu-devtools libpocketsphinx-dev libpocketsphinx3 libsphinxbase-dev libsphinxbase3
  pkgconf pkgconf-bin libpkgconf3
)
rm -rf "$out/debs" "$out/prefix"
mkdir -p "$out/debs" "$out/prefix"
( cd "$out/debs" && apt-get download "${PKGS[@]}" > /dev/null )
for d in "$out"/debs/*.deb; do dpkg -x "$d" "$out/prefix"; done
# Static archives and test programs are not linked or run: leave them out of the carried tree.
rm -rf "$out/debs" "$out/prefix/usr/share/doc" "$out/prefix/usr/share/man" \
  "$out/prefix/usr/lib/x86_64-linux-gnu/sndfile/tests"
find "$out/prefix" -name '*.a' -delete
# pkgconf is installed as /usr/bin/pkgconf; CMake looks for pkg-config.
ln -sf pkgconf "$out/prefix/usr/bin/pkg-config"

demo=$out/demo
if [[ ! -f $demo/model/config.json ]]; then
  rm -rf "$demo"
  # Fewer utterances than the demo's own (the carried tree may hold 64 MiB in all).
  "$py" recipes/demo/make_demo_data.py "$demo/data" --speakers 3 --per-speaker 8 --eval-per-speaker 1 > /dev/null
  "$run" init-audio-tokenizer --config recipes/demo/tiny_audio_tokenizer.json --out "$demo/audio_tokenizer" --seed 3 > /dev/null
  mkdir -p "$demo/model"
  "$py" recipes/demo/make_tiny_model_config.py tests/golden/higgs_audio_v2_3b/config.json \
    "$demo/data/special_tokens.json" "$(wc -l < "$demo/data/spm.vocab")" 256 "$demo/model/config.json" > /dev/null
fi
echo "gpu_bundle: $(du -sh "$out" | cut -f1) in $out/ (prefix: ${#PKGS[@]} Debian packages; demo assets)"
