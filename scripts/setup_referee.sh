#!/usr/bin/env bash
# Makes the referee venv .venv-referee/: Boson's boson-multimodal with transformers 4.46.3, peft and
# what their imports need (scripts/requirements-referee.txt, all --no-deps), for the ctest label
# `referee` (docs/fidelity.md). It reuses the project venv's packages (torch above all, 3 GB)
# through a .pth file, so it adds about 130 MB of downloads. Idempotent; run by scripts/setup.sh.
# A second one, .venv-referee-hf/, holds transformers 5.24.0 with its higgs_audio_v2 port
# (scripts/requirements-referee-hf.txt, about 20 MB more), for the test of the port's layout.
# Environment: HIGGS_VENV (the project venv, default .venv), HIGGS_REFEREE_VENV (default
# .venv-referee), HIGGS_REFEREE_HF_VENV (default .venv-referee-hf).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${HIGGS_VENV:-.venv}
ref=${HIGGS_REFEREE_VENV:-.venv-referee}
req=scripts/requirements-referee.txt
[[ -x $venv/bin/python ]] || { echo "setup_referee: no project venv at $venv (run scripts/setup.sh)" >&2; exit 1; }
# make_venv DIR REQUIREMENTS: a venv over the project venv's packages with REQUIREMENTS (--no-deps).
make_venv() {
  local dir=$1 req=$2
  [[ -x $dir/bin/python ]] || "$venv/bin/python" -m venv "$dir"
  # The project venv's site-packages after the venv's own: its pins win, the rest is shared.
  local main_site own_site stamp t0
  main_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  own_site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$(cd "$main_site" && pwd)" > "$own_site/_higgs_project_venv.pth"
  stamp=$(cat "$req" "$venv/.requirements.sha256" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [[ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" != "$stamp" ]]; then
    t0=$(date +%s)
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
    echo "$stamp" > "$dir/.requirements.sha256"
    echo "setup_referee: installed $req into $dir in $(( $(date +%s) - t0 )) s"
  else
    echo "setup_referee: $dir is up to date with $req"
  fi
}
make_venv "$ref" "$req"
hf=${HIGGS_REFEREE_HF_VENV:-.venv-referee-hf}
make_venv "$hf" scripts/requirements-referee-hf.txt
"$hf/bin/python" -c 'import transformers; from transformers import HiggsAudioV2ForConditionalGeneration; print(f"setup_referee: transformers {transformers.__version__} (higgs_audio_v2 port) in '"$hf"'")'
"$ref/bin/python" - <<'PY'
import boson_multimodal, peft, torch, transformers
from boson_multimodal.dataset.chatml_dataset import prepare_chatml_sample  # noqa: F401
from boson_multimodal.data_collator.higgs_audio_collator import HiggsAudioSampleCollator  # noqa: F401
from boson_multimodal.model.higgs_audio import HiggsAudioModel  # noqa: F401
print(f"setup_referee: boson_multimodal from {boson_multimodal.__path__[0]}, transformers {transformers.__version__}, "
      f"peft {peft.__version__}, torch {torch.__version__}")
PY
