"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/NAME/ (committed; rerun
after changing an input format). Every seed is small (libFuzzer mutates small inputs fastest).

  /usr/bin/python3 tests/fuzz/make_corpus.py            (from the repository root)
"""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import soundfile as sf
import torch
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- chatml: first byte = mode (bit 0 JSONL, bit 1 zero-shot conversion) ----
compact = {"messages": [
    {"role": "system", "content": "Generate audio following instruction."},
    {"role": "user", "content": [
        {"type": "text", "text": "Reference text [laugh]."},
        {"type": "audio", "audio_url": "ref.wav", "offset": 0.5, "duration": 1.25},
        {"type": "text", "text": "Please generate speech: Hello (world) 20°C"}]},
    {"role": "assistant", "content": {"type": "audio", "audio_url": "a/target.wav"}}],
    "speaker": "spk1", "misc": {"k": [1, 2]}}
inference = {"messages": [
    {"role": "user", "content": "ref"},
    {"role": "assistant", "content": [{"type": "audio", "audio_url": "/abs/r.flac"}]},
    {"role": "user", "content": "target"},
    {"role": "assistant", "content": [{"type": "audio", "raw_audio": "UklGRg==", "audio_url": ""}],
     "recipient": "x"}], "start_index": 3}
put("chatml", "array.json", b"\x02" + json.dumps([compact, inference]).encode())
put("chatml", "lines.jsonl", b"\x03" + (json.dumps(compact) + "\n\n" + json.dumps(inference) + "\n").encode())
put("chatml", "one.json", b"\x00" + json.dumps(inference, indent=1).encode())
put("chatml", "bad_type.jsonl", b"\x01" + json.dumps({"messages": [{"role": "user", "content": {"type": "video"}}]}).encode())

# ---- recipe: first byte even = YAML via load_recipe, odd = JSON tree; "\n--set\n" then overrides ----
recipe = {"seed": 3, "task": {"type": "train"},
          "model": {"type": "higgs_audio", "path": "/m", "b": True, "i": 3, "d": 0.25, "s": "x",
                    "c": "sum", "vs": ["q_proj", "v_proj"], "vi": [1, 2], "vd": [0.5], "oi": None},
          "optimizer": {"type": "adamw", "lr": 1e-4, "betas": [0.9, 0.95]},
          "callbacks": [{"type": "log", "every": 10}, {"type": "save", "s": "y"}]}
put("recipe", "recipe.yaml", b"\x00" + yaml.safe_dump(recipe, sort_keys=False).encode()
    + b"\n--set\noptimizer.lr=0.001\ncallbacks[1].every=5\nnew.key=\"str\"\n")
put("recipe", "anchors.yaml", b"\x00" + b"base: &b {lr: 1e-3, s: 'q', i: +4}\nopt:\n  <<: *b\n  d: .inf\n"
    b"list: [~, null, True, 0x10, '1', !!str 2]\n")
put("recipe", "recipe.json", b"\x01" + json.dumps(recipe).encode() + b"\n--set\ncallbacks[7].x=1\nmodel=3\n=bad\n")
for name in ("tiny_zero_shot", ):
    out = subprocess.run(["jsonnet", "-J", os.path.join(ROOT, "recipes"), "-J", os.path.join(ROOT, "recipes", "lib"),
                          "--tla-str", "demo_dir=/demo", os.path.join(ROOT, "recipes", "demo", name + ".jsonnet")],
                         check=True, capture_output=True).stdout
    put("recipe", name + ".json", b"\x01" + out)
    put("recipe", name + ".yaml", b"\x00" + yaml.safe_dump(json.loads(out), sort_keys=False).encode())


# ---- safetensors ----
def safetensors(tensors, meta=None, align=True):
    header, blobs, off = {}, b"", 0
    if meta:
        header["__metadata__"] = meta
    names = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64", torch.uint8: "U8",
             torch.float16: "F16", torch.bool: "BOOL"}
    for k, t in tensors.items():
        b = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs += b
        off += len(b)
    h = json.dumps(header).encode()
    if align:
        h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + blobs


put("safetensors", "small.safetensors", safetensors(
    {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1, 2], dtype=torch.bfloat16),
     "i": torch.tensor([7], dtype=torch.int64), "e": torch.zeros(0, 4)}, {"format": "pt"}))
put("safetensors", "unaligned.safetensors", safetensors(
    {"a": torch.tensor([1, 2, 3], dtype=torch.uint8), "f": torch.tensor([1.5, -2.0], dtype=torch.float16),
     "m": torch.tensor([True, False])}, align=False))
put("safetensors", "scalar.safetensors", safetensors({"s": torch.tensor(3.0)}))

# ---- pickle: data.pkl records of torch.save archives ----
for name, obj in (("plain", {"a": torch.arange(4, dtype=torch.float32), "b": torch.ones(2, 2, dtype=torch.int64)}),
                  ("nested", {"state_dict": {"w": torch.zeros(3)[1:]}, "epoch": 3, "lr": 0.5, "tags": ["x", None, True]})):
    buf = io.BytesIO()
    torch.save(obj, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        put("pickle", name + ".pkl", z.read(pkl))


# ---- audio: flags, offset (cs, 2 bytes), duration (cs, 2 bytes), then the file bytes ----
def audio_bytes(fmt, subtype, rate, channels, n):
    t = np.arange(n) / rate
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    x = np.stack([x] * channels, axis=1) if channels > 1 else x
    b = io.BytesIO()
    sf.write(b, x, rate, format=fmt, subtype=subtype)
    return b.getvalue()


def audio_header(flags, offset_cs=0, duration_cs=0):
    return bytes([flags]) + struct.pack("<HH", offset_cs, duration_cs)


wav = audio_bytes("WAV", "PCM_16", 8000, 1, 400)
put("audio", "pcm16.wav", audio_header(1) + wav)
put("audio", "stereo_float.wav", audio_header(0, 1, 2) + audio_bytes("WAV", "FLOAT", 16000, 2, 300))
put("audio", "pcm24.flac", audio_header(2) + audio_bytes("FLAC", "PCM_24", 22050, 1, 500))
put("audio", "u8.aiff", audio_header(4) + audio_bytes("AIFF", "PCM_S8", 11025, 3, 200))
put("audio", "vorbis.ogg", audio_header(3) + audio_bytes("OGG", "VORBIS", 16000, 1, 1600))
import base64
put("audio", "base64.txt", audio_header(8 | 1) + b"data:audio/wav;base64," + base64.b64encode(wav[:200]))
put("audio", "truncated.wav", audio_header(0) + wav[:60])
print("corpus written to", OUT)
