#!/usr/bin/env python3
"""Peer encoders for the llama3_bpe tests. Reads JSON-escaped lines (one JSON string per line) and
prints one JSON array of id arrays, without BOS/EOS.

    encode.py hf TOKENIZER_JSON CORPUS [--time] [--repeat N]
        Hugging Face tokenizers: Tokenizer.from_file(...).encode(text, add_special_tokens=False).
    encode.py tiktoken META_DIR CORPUS [--specials-from TOKENIZER_JSON] [--time] [--repeat N]
        tiktoken with Meta's tokenizer.model and Meta's pattern, as Meta's llama_models/llama3/
        tokenizer.py (from META_DIR, see extract_meta_tokenizer.py) builds its Encoding; encoded
        with allowed_special="all". --specials-from takes the special tokens from a tokenizer.json
        (e.g. the Higgs names) instead of Meta's list.
    encode.py meta-specials META_DIR
        Prints Meta's tokenizer.py special tokens ({"content": id}) and its ranks count.

--time prints the seconds of each pass of the encode loop alone to stderr as "encode_seconds S"
(--repeat N passes; loading is not timed).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def meta_model_path(meta_dir):
    return Path(meta_dir) / "llama_models" / "llama3" / "tokenizer.model"


def meta_tokenizer(meta_dir):
    sys.path.insert(0, meta_dir)
    from llama_models.llama3.tokenizer import Tokenizer  # Meta's code, from the wheel

    return Tokenizer(meta_model_path(meta_dir))


def make_encoder(args):
    if args.peer == "hf":
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(args.model)
        return lambda s: tok.encode(s, add_special_tokens=False).ids
    import tiktoken

    meta = meta_tokenizer(args.model)
    enc = meta.model
    if args.specials_from:
        from llama_models.tokenizer_utils import load_bpe_file

        added = json.load(open(args.specials_from, encoding="utf-8"))["added_tokens"]
        # Meta's pattern and Meta's loading of the ranks; only the special tokens differ.
        enc = tiktoken.Encoding(name="llama3-with-specials", pat_str=meta.pat_str,
                                mergeable_ranks=load_bpe_file(meta_model_path(args.model)),
                                special_tokens={t["content"]: t["id"] for t in added})
    return lambda s: enc.encode(s, allowed_special="all")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("peer", choices=["hf", "tiktoken", "meta-specials"])
    ap.add_argument("model", help="tokenizer.json (hf) or the extracted wheel (tiktoken)")
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--specials-from")
    ap.add_argument("--time", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if args.peer == "meta-specials":
        meta = meta_tokenizer(args.model)
        json.dump({"n_ranks": meta.model.n_vocab - len(meta.special_tokens),
                   "pattern": meta.pat_str, "special_tokens": meta.special_tokens}, sys.stdout)
        print()
        return
    if not args.corpus:
        ap.error("CORPUS is required")
    encode = make_encoder(args)
    with open(args.corpus, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    out = None
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        out = [encode(s) for s in lines]
        if args.time:
            print(f"encode_seconds {time.perf_counter() - t0}", file=sys.stderr)
    json.dump(out, sys.stdout, separators=(",", ":"))
    print()


if __name__ == "__main__":
    main()
