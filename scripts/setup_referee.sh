#!/usr/bin/env bash
# Makes the referee venv .venv-referee/: Boson's boson-multimodal with transformers 4.46.3, peft and
# what their imports need (scripts/requirements-referee.txt, all --no-deps), for the ctest label
# `referee` (docs/fidelity.md). It reuses the project venv's packages (torch above all, 3 GB)
# through a .pth file, so it adds about 130 MB of downloads. Idempotent; run by scripts/setup.sh.
# Environment: HIGGS_VENV (the project venv, default .venv), HIGGS_REFEREE_VENV (default
# .venv-referee).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${HIGGS_VENV:-.venv}
ref=${HIGGS_REFEREE_VENV:-.venv-referee}
req=scripts/requirements-referee.txt
[[ -x $venv/bin/python ]] || { echo "setup_referee: no project venv at $venv (run scripts/setup.sh)" >&2; exit 1; }
if [[ ! -x $ref/bin/python ]]; then
  "$venv/bin/python" -m venv "$ref"
fi
# The project venv's site-packages after the referee's own: its pins win, the rest is shared.
main_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ref_site=$("$ref/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$(cd "$main_site" && pwd)" > "$ref_site/_higgs_project_venv.pth"
stamp=$(cat "$req" "$venv/.requirements.sha256" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$ref/.requirements.sha256" 2>/dev/null)" != "$stamp" ]]; then
  t0=$(date +%s)
  "$ref/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
  echo "$stamp" > "$ref/.requirements.sha256"
  echo "setup_referee: installed $req into $ref in $(( $(date +%s) - t0 )) s"
else
  echo "setup_referee: $ref is up to date with $req"
fi
"$ref/bin/python" - <<'PY'
import boson_multimodal, peft, torch, transformers
from boson_multimodal.dataset.chatml_dataset import prepare_chatml_sample  # noqa: F401
from boson_multimodal.data_collator.higgs_audio_collator import HiggsAudioSampleCollator  # noqa: F401
from boson_multimodal.model.higgs_audio import HiggsAudioModel  # noqa: F401
print(f"setup_referee: boson_multimodal from {boson_multimodal.__path__[0]}, transformers {transformers.__version__}, "
      f"peft {peft.__version__}, torch {torch.__version__}")
PY
