"""Reads a safetensors file with numpy alone (independent of the C++ codec).

As a script, prints JSON {"metadata": {...}, "tensors": {name: {"dtype", "shape", "sum", "first"}}}
after checking the layout rules of the format: header length a multiple of 8, contiguous data
offsets covering the whole data section."""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def load(path):
    """Returns (metadata, {name: (dtype string, numpy array)})."""
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, "header length is not a multiple of 8"
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    meta = header.pop("__metadata__", {})
    pos = 0
    for b, e in sorted(tuple(e["data_offsets"]) for e in header.values()):
        assert b == pos, "data offsets are not contiguous"
        pos = e
    assert pos == len(data), "data offsets do not cover the data section"
    out = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        if e["dtype"] == "BF16":
            raw = np.frombuffer(data[b:end], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[b:end], dtype=DTYPES[e["dtype"]])
        out[name] = (e["dtype"], arr.reshape(e["shape"]))
    return meta, out


if __name__ == "__main__":
    meta, tensors = load(sys.argv[1])
    summary = {}
    for name, (dtype, arr) in tensors.items():
        flat = arr.reshape(-1)
        summary[name] = {
            "dtype": dtype,
            "shape": list(arr.shape),
            "sum": float(arr.astype(np.float64).sum()),
            "first": float(flat[0]) if flat.size else None,
        }
    print(json.dumps({"metadata": meta, "tensors": summary}))
