#!/usr/bin/env python3
"""Builds the Higgs Audio v2 tokenizer.json from the Llama-3 one: same BPE model, with the
reserved special tokens renamed as in the checkpoint's tokenizer_config.json (added_tokens_decoder).

    /usr/bin/python3 make_higgs_tokenizer_json.py LLAMA3_TOKENIZER_JSON TOKENIZER_CONFIG OUT_JSON

Fails when an id of the config is not an added token of the Llama-3 file, or a flag differs.
"""
import json
import sys


def main():
    src, config_path, out = sys.argv[1:4]
    tok = json.load(open(src, encoding="utf-8"))
    decoder = json.load(open(config_path, encoding="utf-8"))["added_tokens_decoder"]
    by_id = {t["id"]: t for t in tok["added_tokens"]}
    if set(by_id) != {int(k) for k in decoder}:
        sys.exit(f"{src}: added token ids differ from {config_path}")
    renamed = 0
    for key, entry in decoder.items():
        t = by_id[int(key)]
        for flag in ("lstrip", "rstrip", "normalized", "single_word", "special"):
            if t[flag] != entry[flag]:
                sys.exit(f"{src}: token {key}: {flag} is {t[flag]}, {config_path} says {entry[flag]}")
        if t["content"] != entry["content"]:
            t["content"] = entry["content"]
            renamed += 1
    with open(out, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    print(f"wrote {out}: {len(by_id)} added tokens, {renamed} renamed")


if __name__ == "__main__":
    main()
