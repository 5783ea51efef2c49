"""The tokenizer Boson's code loads (transformers' PreTrainedTokenizerFast on a checkpoint's
tokenizer.json), encoding every line of a corpus as prepare_chatml_sample encodes its pieces
(add_special_tokens=False).

    boson_tokenize.py TOKENIZER_JSON CORPUS.jsonl OUT.json      (CORPUS: one JSON string a line)
"""
import json
import sys

from transformers import PreTrainedTokenizerFast


def main(tokenizer_json, corpus, out):
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    lines = [json.loads(l) for l in open(corpus, encoding="utf-8") if l.strip()]
    json.dump([tok.encode(t, add_special_tokens=False) for t in lines], open(out, "w"))
    print(f"PreTrainedTokenizerFast: {len(lines)} lines")


if __name__ == "__main__":
    main(*sys.argv[1:4])
