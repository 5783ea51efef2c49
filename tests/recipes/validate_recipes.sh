#!/usr/bin/env bash
# Every shipped recipe validates twice: with `higgs-run validate` (strict options, registry), and
# against schemas/recipe.schema.json with python3-jsonschema (an independent validator).
set -euo pipefail
src=$1 build=$2
# The project venv's Python (the tests' peers and helpers); ctest passes HIGGS_PYTHON.
py=${HIGGS_PYTHON:-$src/.venv/bin/python}
run="$build/higgs-run"
mapfile -t recipes < <(cd "$src" && find recipes -path recipes/lib -prune -o \
  \( -name '*.jsonnet' -o -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -print | sort \
  | grep -v 'recipes/demo/tiny_audio_tokenizer.json')
(( ${#recipes[@]} > 0 )) || { echo "no recipes found"; exit 1; }
for r in "${recipes[@]}"; do
  "$run" validate "$src/$r" > /dev/null || { echo "FAILED: higgs-run validate $r"; "$run" validate "$src/$r"; exit 1; }
done
"$py" - "$src" "${recipes[@]}" <<'PY'
import json, subprocess, sys
import jsonschema, yaml
src, recipes = sys.argv[1], sys.argv[2:]
schema = json.load(open(f"{src}/schemas/recipe.schema.json"))
validator = jsonschema.Draft202012Validator(schema)
for r in recipes:
    path = f"{src}/{r}"
    if r.endswith((".yaml", ".yml")):
        doc = yaml.safe_load(open(path))
    else:
        out = subprocess.run(["jsonnet", "-J", f"{src}/recipes", "-J", f"{src}/recipes/lib", path],
                             capture_output=True, text=True, check=True).stdout
        doc = json.loads(out)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        for e in errors[:5]:
            print(f"{r}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
        sys.exit(1)
    print(f"ok {r}")
PY
echo "validated ${#recipes[@]} recipes"
