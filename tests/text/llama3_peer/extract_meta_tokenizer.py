#!/usr/bin/env python3
"""Takes Meta's Llama-3 tokenizer out of the llama-models wheel (a zip; nothing is installed):
llama_models/llama3/tokenizer.model (the tiktoken ranks Meta ships beside the weights) and the
tokenizer.py that builds Meta's tiktoken.Encoding from it, with the package files it imports.

    python extract_meta_tokenizer.py WHEEL DEST_DIR

DEST_DIR/llama_models/... is then importable (sys.path) with only tiktoken installed. Checks that
the file is Meta's 128,000-rank Llama-3 vocabulary; exits with a message otherwise.
"""
import base64
import hashlib
import os
import shutil
import sys
import zipfile

MEMBERS = ["llama_models/__init__.py", "llama_models/tokenizer_utils.py",
           "llama_models/llama3/__init__.py", "llama_models/llama3/tokenizer.py",
           "llama_models/llama3/tokenizer.model"]
MODEL = "llama_models/llama3/tokenizer.model"
MODEL_BYTES = 2183982
MODEL_RANKS = 128000


def main():
    wheel, dest = sys.argv[1:3]
    try:
        with zipfile.ZipFile(wheel) as z:
            names = set(z.namelist())
            missing = [m for m in MEMBERS if m not in names]
            if missing:
                sys.exit(f"{wheel}: not the expected llama-models wheel: no {', '.join(missing)}")
            tmp = dest + ".tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            for m in MEMBERS:
                z.extract(m, tmp)
    except zipfile.BadZipFile as e:
        sys.exit(f"{wheel}: not a zip file ({e}); delete it so that setup downloads it again")
    model = os.path.join(tmp, MODEL)
    data = open(model, "rb").read()
    lines = data.splitlines()
    if len(data) != MODEL_BYTES or len(lines) != MODEL_RANKS:
        sys.exit(f"{wheel}: {MODEL} has {len(data)} bytes and {len(lines)} lines, expected "
                 f"{MODEL_BYTES} and {MODEL_RANKS} (Meta's Llama-3 vocabulary)")
    for k in (0, MODEL_RANKS - 1):
        token, rank = lines[k].split()
        if int(rank) != k:
            sys.exit(f"{wheel}: {MODEL} line {k + 1} has rank {int(rank)}")
    # Two well-known entries of Llama-3's vocabulary (the same ids in its tokenizer.json).
    ranks = {base64.b64decode(t): int(r) for t, r in (ln.split() for ln in lines)}
    for token, rank in ((b"!", 0), (b" the", 279), (b"Hello", 9906)):
        if ranks.get(token) != rank:
            sys.exit(f"{wheel}: {MODEL}: {token!r} has rank {ranks.get(token)}, not {rank}")
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    print(f"extracted {MODEL} ({len(data)} bytes, {len(lines)} ranks, sha256 "
          f"{hashlib.sha256(data).hexdigest()}) and tokenizer.py to {dest}")


if __name__ == "__main__":
    main()
