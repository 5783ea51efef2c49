#!/usr/bin/env bash
# Sets up everything higgs-train needs to build, test and run its demo. Idempotent.
#  1. Debian 12 packages (as root, through sudo when needed): compilers, the libraries higgs-run
#     links besides LibTorch, and the tools the demo and the tests use.
#  2. The project venv .venv/ with the pinned packages of scripts/requirements.txt. Its torch wheel
#     (2.11.0+cu130) carries the whole C++ LibTorch that CMake builds against (found through
#     torch.utils.cmake_prefix_path); the other packages are test peers and demo helpers.
# Environment: HIGGS_BASE_PYTHON (the interpreter that makes the venv; default: python3 on PATH),
# HIGGS_VENV (default: .venv), HIGGS_SKIP_APT=1 (packages already there, no root),
# HIGGS_SKIP_REFEREE=1 (no referee venv .venv-referee/: the `referee` tests then fail saying so).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git clang clang-format
  libgloo-dev
  libyaml-cpp-dev libjsonnet-dev jsonnet libsentencepiece-dev sentencepiece
  libsndfile1-dev libsoxr-dev libspdlog-dev doctest-dev nlohmann-json3-dev libcli11-dev libpcre2-dev
  libicu-dev
  libpocketsphinx-dev pocketsphinx-en-us
  espeak-ng sox libsox-fmt-all
  tmux zsh
  python3 python3-venv
)
# Without their recommends: the headless browser the report test renders with (its recommends
# are fonts and desktop integration, over 100 packages).
PKGS_NO_RECOMMENDS=(chromium)
if [[ -z ${HIGGS_SKIP_APT:-} ]]; then
  missing=() missing_bare=()
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
  for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  for p in "${PKGS_NO_RECOMMENDS[@]}"; do installed "$p" || missing_bare+=("$p"); done
  if ((${#missing[@]} + ${#missing_bare[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    ((${#missing[@]} == 0)) || $SUDO apt-get install -y -qq "${missing[@]}"
    ((${#missing_bare[@]} == 0)) || $SUDO apt-get install -y -qq --no-install-recommends "${missing_bare[@]}"
  else
    echo "setup: all $((${#PKGS[@]} + ${#PKGS_NO_RECOMMENDS[@]})) Debian packages already installed"
  fi
fi

# The venv. Its interpreter: python3 on PATH when it can make venvs, else Debian's.
venv=${HIGGS_VENV:-.venv}
req=scripts/requirements.txt
if [[ ! -x $venv/bin/python ]]; then
  base=${HIGGS_BASE_PYTHON:-}
  if [[ -z $base ]]; then
    for c in python3 /usr/bin/python3; do
      if command -v "$c" >/dev/null && "$c" -c 'import venv, ensurepip' 2>/dev/null; then base=$c; break; fi
    done
  fi
  [[ -n $base ]] || { echo "setup: no python3 with the venv module (apt-get install python3-venv)" >&2; exit 1; }
  echo "setup: making $venv with $("$base" --version 2>&1) ($(command -v "$base"))"
  "$base" -m venv "$venv"
fi
stamp=$(sha256sum "$req" | cut -d' ' -f1)
if [[ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$stamp" ]]; then
  t0=$(date +%s)
  # The torch wheel and its CUDA libraries are about 3 GB: downloaded once per machine.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$stamp" > "$venv/.requirements.sha256"
  echo "setup: installed $req into $venv in $(( $(date +%s) - t0 )) s"
else
  echo "setup: $venv is up to date with $req"
fi
"$venv/bin/python" - <<'PY'
import torch
print(f"setup: torch {torch.__version__} (CUDA {torch.version.cuda}) in {torch.utils.cmake_prefix_path}")
PY
# The referee venv: Boson's own code as the tests' referee (ctest label `referee`, docs/fidelity.md).
if [[ -z ${HIGGS_SKIP_REFEREE:-} ]]; then
  HIGGS_VENV=$venv bash scripts/setup_referee.sh
fi
