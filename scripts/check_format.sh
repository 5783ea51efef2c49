#!/usr/bin/env bash
# Checks that every C++ file git tracks is formatted as .clang-format says (Debian 12's
# clang-format 14, installed by scripts/setup.sh). Prints each file that is not, with the command
# that formats it, and exits 1; `scripts/check_format.sh --fix` formats them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (apt-get install clang-format)" >&2; exit 1; }
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.hpp')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
  printf 'check_format: not formatted: %s\n' "${bad[@]}" >&2
  echo "check_format: ${#bad[@]} of ${#files[@]} files differ from .clang-format; run scripts/check_format.sh --fix" >&2
  exit 1
fi
echo "check_format: all ${#files[@]} C++ files formatted ($(clang-format --version | head -1))"
