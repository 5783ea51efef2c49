"""An independent safetensors writer and reader (json + struct + torch only; the safetensors
package is not installed here), used by tests/unit/tensor_io/safetensors_test.cpp to check that the
C++ code agrees with the format rather than only with itself.

  write_safetensors.py write PATH [--unaligned]   write the reference tensors
  write_safetensors.py check PATH                  read PATH, compare with the reference tensors

The reference tensors are built from integer formulas whose values are exact in every dtype, so
the C++ test computes the same values without sharing any code. --unaligned writes an unpadded
header and puts a 6-byte tensor first, so most tensors start at odd offsets.
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}


def value(name, i):
    """Element i of reference tensor `name` (kept in sync with reference_tensor() in C++)."""
    if name in ("f32", "f16", "bf16", "f64", "scalar"):
        return (i % 251) * 0.25 - 30.0
    if name == "i64":
        return i * 1000003 - 2 ** 40
    if name == "i32":
        return i * 7919 - 100000
    if name == "u8":
        return (i * 37) % 256
    if name == "flags":
        return i % 3 == 0
    raise KeyError(name)


REFERENCE = {  # name: (dtype, shape)
    "u8": ("U8", [6]),
    "f32": ("F32", [3, 5]),
    "f16": ("F16", [4, 2]),
    "bf16": ("BF16", [2, 3, 2]),
    "f64": ("F64", [3]),
    "i64": ("I64", [7]),
    "i32": ("I32", [5]),
    "flags": ("BOOL", [5]),
    "scalar": ("F32", []),
    "empty": ("F32", [0, 3]),
}


def reference(name):
    dtype, shape = REFERENCE[name]
    n = 1
    for d in shape:
        n *= d
    if name == "empty":
        return torch.zeros(shape, dtype=DTYPES[dtype])
    vals = [value(name, i) for i in range(n)]
    wide = torch.float64 if dtype.startswith(("F", "B")) and dtype != "BOOL" else torch.int64
    if dtype == "BOOL":
        return torch.tensor(vals, dtype=torch.bool).reshape(shape)
    return torch.tensor(vals, dtype=wide).to(DTYPES[dtype]).reshape(shape)


def tensor_bytes(t):
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    return t.view(torch.uint8).numpy().tobytes() if t.dim() > 0 else \
        t.reshape(1).view(torch.uint8).numpy().tobytes()


def write(path, unaligned):
    def itemsize(name):
        return torch.empty((), dtype=DTYPES[REFERENCE[name][0]]).element_size()
    names = list(REFERENCE) if unaligned else sorted(REFERENCE, key=lambda k: (-itemsize(k), k))
    header, blobs, offset = {"__metadata__": {"format": "pt", "writer": "python"}}, [], 0
    for name in names:
        data = tensor_bytes(reference(name))
        dtype, shape = REFERENCE[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    if not unaligned:
        text += b" " * ((8 - len(text) % 8) % 8)
    elif (8 + len(text)) % 2 == 0:
        text += b" "  # make the data section start at an odd address
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def check(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, f"header length {n} is not padded to 8 bytes"
    header = json.loads(raw[8:8 + n].decode())
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    assert set(header) == set(REFERENCE), f"names differ: {sorted(header)}"
    end = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        begin, stop = entry["data_offsets"]
        assert begin == end, f"{name}: gap or overlap at {begin} (previous end {end})"
        end = stop
        dtype, shape = REFERENCE[name]
        assert entry["dtype"] == dtype and entry["shape"] == shape, f"{name}: {entry}"
        item = torch.empty((), dtype=DTYPES[dtype]).element_size()
        assert begin % item == 0, f"{name}: offset {begin} not aligned to {item}"
        buf = bytearray(data[begin:stop])
        got = torch.frombuffer(buf, dtype=DTYPES[dtype]).reshape(shape) if buf else \
            torch.zeros(shape, dtype=DTYPES[dtype])
        want = reference(name)
        assert torch.equal(got, want), f"{name}: values differ: {got} vs {want}"
    assert end == len(data), f"data section has {len(data)} bytes, tensors end at {end}"
    print(f"OK {len(header)} tensors metadata={json.dumps(meta, sort_keys=True)}")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], "--unaligned" in sys.argv[3:])
    elif sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")
