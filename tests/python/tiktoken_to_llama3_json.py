#!/usr/bin/env python3
"""Builds a Hugging Face tokenizer.json from Meta's Llama-3 tokenizer.model (tiktoken format: one
"BASE64_TOKEN RANK" line per token), laid out as the real Llama-3 tokenizer.json is:

  - vocab: each token's bytes in GPT-2's byte-to-unicode alphabet, id = rank;
  - merges: for every token of two or more bytes, each split into two vocabulary tokens (every
    one, as transformers' TikTokenConverter does), ordered by the rank of the token they make and,
    for one token, by the ranks of the left then the right part; written as [left, right] pairs;
  - the Llama-3 pre-tokenizer regex, ignore_merges (a word that is a token is kept whole, as
    tiktoken does), ByteLevel decoder;
  - the 256 special tokens that follow the ranks, named as in Meta's Llama-3 release
    (meta-llama/llama3 tokenizer.py): <|begin_of_text|>, <|end_of_text|>,
    <|reserved_special_token_0..3|>, <|start_header_id|>, <|end_header_id|>,
    <|reserved_special_token_4|>, <|eot_id|>, then <|reserved_special_token_5..250|>.

    python tiktoken_to_llama3_json.py TOKENIZER_MODEL OUT_JSON

Only the standard library. Fails with the file and line on a malformed tokenizer.model.
"""
import base64
import binascii
import json
import sys

# Meta's Llama-3 pre-tokenizer (tiktoken pat_str; the Split regex of the Llama-3 tokenizer.json).
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def llama3_special_tokens():
    named = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|reserved_special_token_2|>",
             "<|reserved_special_token_3|>", "<|start_header_id|>", "<|end_header_id|>",
             "<|reserved_special_token_4|>", "<|eot_id|>"]
    return named + [f"<|reserved_special_token_{i}|>" for i in range(5, 256 - 5)]


def bytes_to_unicode():
    """GPT-2's table: every byte maps to one printable code point."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1))
                 + list(range(0xAE, 0xFF + 1)))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def read_ranks(path):
    """Tokens in rank order; exits naming the file and line on anything malformed."""
    tokens, seen = [], {}
    with open(path, "rb") as f:
        data = f.read()
    for number, line in enumerate(data.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        if not line:
            continue
        parts = line.split(b" ")
        where = f"{path}:{number}"
        if len(parts) != 2 or not parts[1].isdigit():
            sys.exit(f"{where}: expected 'BASE64_TOKEN RANK', got {line[:80]!r}")
        try:
            token = base64.b64decode(parts[0], validate=True)
        except binascii.Error as e:
            sys.exit(f"{where}: token is not valid base64 ({e}): {parts[0][:80]!r}")
        rank = int(parts[1])
        if rank != len(tokens):
            sys.exit(f"{where}: rank {rank}, expected {len(tokens)} (ranks must be 0, 1, 2, ...)")
        if not token:
            sys.exit(f"{where}: empty token")
        if token in seen:
            sys.exit(f"{where}: token {token!r} already has rank {seen[token]}")
        seen[token] = rank
        tokens.append(token)
    missing = [b for b in range(256) if bytes([b]) not in seen]
    if missing:
        sys.exit(f"{path}: no token for byte 0x{missing[0]:02x} ({len(missing)} bytes missing)")
    return tokens, seen


def derive_merges(tokens, ranks):
    merges = []
    for token in tokens:
        local = []
        for i in range(1, len(token)):
            left, right = token[:i], token[i:]
            if left in ranks and right in ranks:
                local.append((ranks[left], ranks[right]))
        local.sort()
        merges.extend(local)  # tokens come in rank order, so merges are ordered by result rank
    return merges


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tiktoken_to_llama3_json.py TOKENIZER_MODEL OUT_JSON")
    src, out = sys.argv[1:3]
    tokens, ranks = read_ranks(src)
    table = bytes_to_unicode()
    text = ["".join(table[b] for b in t) for t in tokens]
    merges = [[text[a], text[b]] for a, b in derive_merges(tokens, ranks)]
    added = [{"id": len(tokens) + i, "content": c, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, c in enumerate(llama3_special_tokens())]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated",
             "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": {t: i for i, t in enumerate(text)}, "merges": merges},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    print(f"wrote {out}: {len(tokens)} tokens, {len(merges)} merges, {len(added)} special tokens")


if __name__ == "__main__":
    main()
