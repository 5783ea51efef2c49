"""Opens every file under the given folders with the reader of the format its name says
(docs/reliability.md, "Files say what they are"): .safetensors with safetensors, .pt with
torch.load(weights_only=True), .json/.jsonl with json, .wav with soundfile, .csv with csv,
TensorBoard event files (events.out.tfevents.*) by their TFRecord framing (lengths and CRC-32Cs).
A file whose name says no known format fails the check, so that each new kind of output is
classified here. Prints one line per format and exits 1 naming each file that does not open.

    check_output_formats.py PATH [PATH ...]     (folders are walked; files are checked as given)
"""
import csv
import json
import os
import sys

import soundfile
import torch
from safetensors.torch import load_file

# Files with no format to check: logs and text the programs write for people, the pid in a lock.
TEXT_NAMES = {".higgs-run.lock"}
TEXT_SUFFIXES = (".log", ".txt", ".md")


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def _masked(data):
    c = _crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def check_tfrecord(path):
    """Every record: uint64 length, masked CRC-32C of it, the data, masked CRC-32C of the data."""
    import struct
    raw = open(path, "rb").read()
    pos = n = 0
    while pos < len(raw):
        if pos + 12 > len(raw):
            raise ValueError(f"record {n}: torn header")
        header = raw[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        if struct.unpack("<I", raw[pos + 8:pos + 12])[0] != _masked(header):
            raise ValueError(f"record {n}: bad length CRC")
        data = raw[pos + 12:pos + 12 + length]
        if len(data) != length or pos + 16 + length > len(raw):
            raise ValueError(f"record {n}: torn data")
        if struct.unpack("<I", raw[pos + 12 + length:pos + 16 + length])[0] != _masked(data):
            raise ValueError(f"record {n}: bad data CRC")
        pos += 16 + length
        n += 1
    if n == 0:
        raise ValueError("no record")


def check_file(path):
    name = os.path.basename(path)
    if ".tfevents." in name:
        check_tfrecord(path)
        return "tensorboard events (TFRecord)"
    if name.endswith(".safetensors"):
        load_file(path)
        return "safetensors"
    if name.endswith(".pt"):
        torch.load(path, weights_only=True)
        return "torch pickle (.pt)"
    if name.endswith(".jsonl"):
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.endswith("\n"):
                    raise ValueError(f"line {i} has no newline (torn)")
                json.loads(line)
        return "jsonl"
    if name.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            json.load(f)
        return "json"
    if name.endswith(".wav"):
        soundfile.read(path)
        return "wav"
    if name.endswith(".csv"):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if rows and any(len(r) != len(rows[0]) for r in rows):
            raise ValueError("rows with different numbers of columns")
        return "csv"
    if name in TEXT_NAMES or name.endswith(TEXT_SUFFIXES):
        with open(path, encoding="utf-8") as f:
            f.read()
        return "text"
    raise ValueError("the name says no known format; classify it in tests/python/check_output_formats.py")


def main(dirs):
    counts, bad = {}, []
    paths = []
    for top in dirs:
        if os.path.isfile(top):
            paths.append(top)
        for root, _, files in os.walk(top):
            paths += [os.path.join(root, n) for n in sorted(files)]
    for p in paths:
        if os.path.islink(p):
            continue
        try:
            kind = check_file(p)
            counts[kind] = counts.get(kind, 0) + 1
        except Exception as e:  # every failure is reported, then the check fails
            bad.append(f"{p}: {type(e).__name__}: {e}")
    for kind in sorted(counts):
        print(f"{kind}: {counts[kind]} file(s) open with their format's reader")
    for b in bad:
        print("NOT WHAT ITS NAME SAYS:", b)
    if not counts:
        print("no files under", dirs)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
