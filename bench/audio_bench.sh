#!/usr/bin/env bash
# Audio front-end throughput, higgs-train C++ vs its Python peer, in the same run on the same files:
# load + downmix, resample to 24 kHz and 16 kHz, Whisper log-mel (128 mels, 30 s windows).
#
#   bench/audio_bench.sh [BUILD_DIR=build] [--repeat N] [--threads N]
#
# Load and resample timings of C++ are the same in both C++ runs; only whisper_log_mel differs.
#
# Needs: a configured build (cmake -S . -B build -G Ninja), espeak-ng, sox (libsox-fmt-all for
# MP3), /usr/bin/python3 with torch, torchaudio (python3-torchaudio) and soundfile
# (python3-soundfile). The data set (about 3 minutes of espeak-ng speech in WAV 44.1 kHz stereo,
# FLAC 22.05 kHz, MP3 48 kHz and WAV 24 kHz) is made once under BUILD_DIR/bench_audio_data.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
ARGS=("$@")
DATA=$BUILD/bench_audio_data

# ---- data: 16 files of 8-14 s; the same files for both implementations ----
if [[ ! -f $DATA/.done ]]; then
  mkdir -p "$DATA/tmp"
  sentences=(
    "Twas the night before my birthday. Hooray! It's almost here! It may not be a holiday, but it's the best day of the year."
    "The quick brown fox jumps over the lazy dog, and then it runs back into the forest before anyone notices."
    "Speech synthesis turns written text into sound, one phoneme at a time, with rhythm and intonation."
    "A journey of a thousand miles begins with a single step, or so the old proverb tells us."
  )
  voices=(en en-us en+f3 en+m3)
  i=0
  for v in "${voices[@]}"; do
    for s in "${sentences[@]}"; do
      src=$DATA/tmp/src$i.wav
      espeak-ng -v "$v" -w "$DATA/tmp/a.wav" "$s"
      espeak-ng -v "$v" -w "$DATA/tmp/b.wav" "$s"
      sox "$DATA/tmp/a.wav" "$DATA/tmp/b.wav" "$src"  # two readings: 8-14 s
      case $((i % 4)) in
        0) sox "$src" -r 44100 -c 2 "$DATA/f$i.wav" ;;
        1) sox "$src" "$DATA/f$i.flac" ;;
        2) sox "$src" -r 48000 "$DATA/f$i.mp3" ;;
        3) sox "$src" -r 24000 "$DATA/f$i.wav" ;;
      esac
      i=$((i + 1))
    done
  done
  rm -rf "$DATA/tmp"
  touch "$DATA/.done"
fi

# ---- the C++ bench: the CMake target when the build has one, else linked here ----
BIN=$BUILD/bench/audio_bench
if [[ ! -x $BIN ]]; then
  cmake --build "$BUILD" --target higgs_components >/dev/null
  BIN=$BUILD/audio_bench_standalone
  OBJ=$BUILD/CMakeFiles/higgs_components.dir/components/audio
  if [[ ! -x $BIN || bench/audio_bench.cpp -nt $BIN || $OBJ/whisper_log_mel.cpp.o -nt $BIN ||
        $OBJ/audio_io.cpp.o -nt $BIN ]]; then
    echo "audio_bench: compiling $BIN" >&2
    c++ -O2 -DNDEBUG -std=gnu++17 -D_GLIBCXX_USE_CXX11_ABI=1 -I. \
      -isystem /usr/include/torch/csrc/api/include \
      bench/audio_bench.cpp "$OBJ/audio_io.cpp.o" "$OBJ/audio_bytes.cpp.o" \
      "$OBJ/whisper_log_mel.cpp.o" -o "$BIN" \
      -L"$BUILD" -Wl,-rpath,"$(cd "$BUILD" && pwd)" -lhiggs_framework \
      -ltorch -ltorch_cpu -lc10 -lsndfile -lsoxr
  fi
fi

echo "== files: $(ls "$DATA" | wc -l) in $DATA =="
echo "== higgs-train C++ (whisper_log_mel precision float64 = default, then float32) =="
CPP=$("$BIN" "$DATA" "${ARGS[@]}")
echo "$CPP"
CPP32=$("$BIN" "$DATA" "${ARGS[@]}" --precision float32)
echo "$CPP32"
echo "== Python peer (soundfile + torchaudio + torch, float32) =="
PY=$(/usr/bin/python3 bench/python/audio_peer.py "$DATA" "${ARGS[@]}")
echo "$PY"
/usr/bin/python3 - "$CPP" "$CPP32" "$PY" <<'EOF'
import json, sys
cpp, cpp32, py = ({d["stage"]: d for d in map(json.loads, a.splitlines())} for a in sys.argv[1:4])
print("== audio seconds per wall second (higher is better) ==")
print(f"{'stage':<20}{'C++ f64':>10}{'C++ f32':>10}{'Python':>10}{'f64/Py':>8}{'f32/Py':>8}")
for k in cpp:
    a, b, c = (d[k]["audio_s_per_s"] for d in (cpp, cpp32, py))
    print(f"{k:<20}{a:>10.1f}{b:>10.1f}{c:>10.1f}{a / c:>8.2f}{b / c:>8.2f}")
EOF
