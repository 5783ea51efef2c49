#!/usr/bin/env bash
# Installs higgs-train into a temporary prefix, builds the example plugin against the installed
# CMake package, and runs a recipe that uses the plugin's component.
set -euo pipefail
src=$1 build=$2
work=$build/test_tmp/plugin-install
rm -rf "$work" && mkdir -p "$work/out"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
cmake -S "$src/tests/plugins/example_plugin" -B "$work/plugin" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/plugin" > "$work/build.log"
run="$work/prefix/bin/higgs-run"
# The installed higgs-run imports the installed recipes/lib (a file only the installed copy has).
shared=$work/prefix/share/higgs-train/recipes
[[ -f $shared/lib/higgs.libsonnet && -f $shared/higgs_v2/zero_shot_lora.yaml ]]
# The installed copy wins over the source tree's (this one has round_to 16; the source's has 8).
printf "{ where: 'installed' }\n" > "$shared/lib/install_marker.libsonnet"
printf "{ collator:: { type: 'higgs_audio', round_to: 16 } }\n" > "$shared/lib/higgs.libsonnet"
printf "local m = import 'install_marker.libsonnet';\nlocal h = import 'lib/higgs.libsonnet';\n{ description: m.where, output_dir: '%s', collator: h.collator }\n" \
  "$work/out" > "$work/imports.jsonnet"
"$run" print-config "$work/imports.jsonnet" > "$work/imports.log"
grep -q '"installed"' "$work/imports.log" && grep -q '"round_to": 16' "$work/imports.log"
so="$work/plugin/libexample_plugin.so"
"$run" --plugin "$so" list task | grep -q "example_greeting"
"$run" --plugin "$so" describe task/example_greeting | grep -q "repeat (integer, default 1, min 1)"
printf '{"output_dir": "%s", "task": {"type": "example_greeting", "name": "plugin", "repeat": 2}}\n' \
  "$work/out" > "$work/recipe.json"
"$run" --plugin "$so" "$work/recipe.json" --force
[[ "$(cat "$work/out/greeting.txt")" == $'hello plugin\nhello plugin' ]]
# The plugin's own kind: listed, described, in the recipe under its key, built by its task.
"$run" --plugin "$so" list greeting_style | grep -q "shout"
"$run" --plugin "$so" describe greeting_style/shout | grep -q "suffix (string, default \"!\")"
printf '{"output_dir": "%s", "greeting_style": {"type": "shout", "suffix": "?"}, "task": {"type": "example_greeting", "name": "plugin"}}\n' \
  "$work/out" > "$work/styled.json"
"$run" --plugin "$so" "$work/styled.json" --force
[[ "$(cat "$work/out/greeting.txt")" == "HELLO PLUGIN?" ]]
set +e
"$run" --plugin "$so" validate <(sed 's/"shout"/"whisper"/' "$work/styled.json") > "$work/badstyle.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'unknown greeting_style "whisper"' "$work/badstyle.log"
# A plugin task that reuses the installed ChatML and audio I/O headers (HiggsTrain::higgs_components).
mkdir -p "$work/data/wavs"
sox -n -r 16000 -c 1 -b 16 "$work/data/wavs/ref.wav" synth 0.5 sine 440
printf '%s\n' '{"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": {"type": "audio", "audio_url": "wavs/ref.wav"}}]}' \
  > "$work/data/train.jsonl"
printf '{"output_dir": "%s", "task": {"type": "example_audio_report", "data": "%s"}}\n' \
  "$work/out" "$work/data/train.jsonl" > "$work/report.json"
"$run" --plugin "$so" "$work/report.json" --force
[[ "$(cat "$work/out/audio_report.txt")" == "$work/data/train.jsonl:1 (sample 0) assistant wavs/ref.wav 16000 Hz 8000 samples" ]]
# Without the plugin the component is unknown and the recipe is refused with exit code 2.
set +e
"$run" validate "$work/recipe.json" > "$work/noplugin.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'unknown task "example_greeting"' "$work/noplugin.log"
# A missing plugin file is a clear error.
set +e
"$run" --plugin "$work/nope.so" list > "$work/missing.log" 2>&1
rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "plugin $work/nope.so: cannot load" "$work/missing.log"
# A plugin built for another API version, and a library without the entry point.
printf 'extern "C" int higgs_train_plugin_entry(int) { return 99; }\n' > "$work/v99.cpp"
printf 'extern "C" int unrelated() { return 0; }\n' > "$work/noentry.cpp"
g++ -shared -fPIC -o "$work/libv99.so" "$work/v99.cpp"
g++ -shared -fPIC -o "$work/libnoentry.so" "$work/noentry.cpp"
set +e
"$run" --plugin "$work/libv99.so" list > "$work/v99.log" 2>&1; rc1=$?
"$run" --plugin "$work/libnoentry.so" list > "$work/noentry.log" 2>&1; rc2=$?
set -e
[[ $rc1 -ne 0 ]] && grep -q "built for plugin API version 99, but this higgs-run provides version 1" "$work/v99.log"
[[ $rc2 -ne 0 ]] && grep -q 'no entry point "higgs_train_plugin_entry"' "$work/noentry.log"
echo "plugin test passed"
