#!/usr/bin/env bash
# Installs every Debian 12 package higgs-train needs to build, test and run its demo. Idempotent; run as root.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libgloo-dev libopenblas0-openmp
  libyaml-cpp-dev libjsonnet-dev jsonnet libsentencepiece-dev sentencepiece
  libsndfile1-dev libsoxr-dev libspdlog-dev doctest-dev nlohmann-json3-dev libcli11-dev libpcre2-dev
  espeak-ng sox libsox-fmt-all
  python3-torch python3-numpy python3-soundfile python3-sentencepiece python3-jsonschema python3-yaml python3-torchaudio
  clang
)
missing=()
# node + npm run the JavaScript tokenizer peer in tests; keep an existing install (e.g. NodeSource).
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}"
else
  echo "setup: all ${#PKGS[@]} packages already installed"
fi
