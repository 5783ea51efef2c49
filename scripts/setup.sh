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
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
# node + npm run the JavaScript tokenizer peer in tests; keep an existing install (e.g. NodeSource).
command -v node >/dev/null || PKGS+=(nodejs)
command -v npm >/dev/null || PKGS+=(npm)
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}"
else
  echo "setup: all ${#PKGS[@]} packages already installed"
fi

# Debian 12's torchrun (torch 1.13 on Python 3.11) parses its own default `--redirects 0 --tee 0`
# to None and crashes before starting any worker: on 3.11 iterating an IntFlag no longer yields
# the members 0 (NONE) and 3 (ALL), which Std.from_str looks for. Replace that lookup with
# Std(int(v)) (what it means, and what later torch does); the original is kept as api.py.orig.
# Set HIGGS_NO_TORCHRUN_FIX=1 to leave the system's torch alone (then pass --redirects 1 --tee 1).
api=/usr/lib/python3/dist-packages/torch/distributed/elastic/multiprocessing/api.py
if [[ -z ${HIGGS_NO_TORCHRUN_FIX:-} && -f $api ]] && grep -q '^            for s in Std:$' "$api"; then
  $SUDO cp -n "$api" "$api.orig"
  $SUDO /usr/bin/python3 - "$api" <<'PY'
import sys
path = sys.argv[1]
src = open(path).read()
old = """            v = int(v)
            for s in Std:
                if s == v:
                    return s
"""
new = """            v = int(v)
            return Std(v)  # patched by higgs-train scripts/setup.sh: Python 3.11 IntFlag iteration
"""
if old in src:
    open(path, "w").write(src.replace(old, new, 1))
    print(f"setup: patched torchrun for Python 3.11 ({path}; original in {path}.orig)")
PY
fi
