"""Makes torch.save fixtures for tests/unit/tensor_io/pth_reader_test.cpp.

  write_pth.py module PATH     state_dict() of a small module (Conv1d with weight_norm, Linear,
                               an int64 buffer) plus a bf16 tensor and a transposed view
  write_pth.py plain PATH      torch.save({"a": t, "b": t2}) (a plain dict, not an OrderedDict)
  write_pth.py nested PATH     {"state_dict": ..., "epoch": 3, "lr": 0.5, "tags": [...]}
  write_pth.py evil PATH MARKER_FILE
                               a torch.save archive whose data.pkl calls os.system
  write_pth.py legacy PATH     {"model_state": module state, "step": 7} in the legacy (pre-zip)
                               format, as resemblyzer's pretrained.pt is saved
  write_pth.py evil_legacy PATH MARKER_FILE
                               a legacy-format file whose object pickle calls os.system
  write_pth.py jit PATH         a TorchScript archive (torch.jit.save), which is not a state dict
  write_pth.py evil_reduce PATH MARKER_FILE
                               an object whose __reduce__ returns os.system, saved by torch.save

For the tensor fixtures, PATH.expected.json lists, in state-dict order, each tensor's dtype,
shape, stride and its byte range in PATH.expected.bin (the tensor's contiguous bytes), so the C++
test compares bit for bit without any shared code.
"""
import json
import os
import sys
import zipfile

import torch

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
               torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8",
               torch.bool: "BOOL"}


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.utils.weight_norm(torch.nn.Conv1d(2, 3, 3))
        self.lin = torch.nn.Linear(3, 2)
        self.register_buffer("steps", torch.tensor([5, -6, 2 ** 40], dtype=torch.int64))


def module_state():
    torch.manual_seed(1234)
    sd = Small().state_dict()
    sd["extra.bf16"] = torch.randn(4, 3).to(torch.bfloat16)
    sd["extra.transposed"] = torch.randn(3, 5).t()  # saved as a view with stride (1, 5)
    sd["extra.scalar"] = torch.tensor(2.5)
    sd["extra.tied"] = sd["lin.weight"]  # the same tensor twice, as with tied embeddings
    sd["extra.row1"] = sd["extra.transposed"][1]  # a view at storage offset 1, stride (5,)
    return sd


def write_expected(path, sd):
    entries, blob = [], bytearray()
    for name, t in sd.items():
        raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        entries.append({"name": name, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "stride": list(t.stride()), "begin": len(blob), "end": len(blob) + len(raw)})
        blob += raw
    with open(path + ".expected.json", "w") as f:
        json.dump(entries, f)
    with open(path + ".expected.bin", "wb") as f:
        f.write(bytes(blob))


def evil_archive(path, marker):
    """Takes a real torch.save archive and swaps in a data.pkl that would run a shell command."""
    torch.save({"a": torch.zeros(2)}, path)
    cmd = ("touch " + marker).encode()
    pkl = (b"\x80\x02" + b"cos\nsystem\n" + b"q\x00" + b"X" + len(cmd).to_bytes(4, "little") + cmd
           + b"\x85R.")
    with zipfile.ZipFile(path) as z:
        records = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n, data in records.items():
            z.writestr(n, pkl if n.endswith("/data.pkl") else data)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "module":
        sd = module_state()
        torch.save(sd, path)
        write_expected(path, sd)
    elif mode == "plain":
        sd = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([7, 8])}
        torch.save(sd, path)
        write_expected(path, sd)
    elif mode == "nested":
        sd = module_state()
        torch.save({"epoch": 3, "lr": 0.5, "big": -2 ** 40, "tags": ["x", 1, None, True],
                    "state_dict": sd}, path)
        write_expected(path, sd)
    elif mode == "evil":
        evil_archive(path, sys.argv[3])
    elif mode == "legacy":
        sd = module_state()
        torch.save({"model_state": sd, "step": 7}, path, _use_new_zipfile_serialization=False)
        write_expected(path, sd)
    elif mode == "evil_legacy":
        torch.save({"a": Evil(sys.argv[3])}, path, _use_new_zipfile_serialization=False)
    elif mode == "jit":
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), path)
    elif mode == "evil_reduce":
        torch.save({"a": Evil(sys.argv[3])}, path)
    else:
        sys.exit("unknown mode " + mode)
    print("written", path)
