"""Boson's prepare_chatml_sample (boson-multimodal 0.1.1) on every sample of a JSONL file, with
the tokenizer.json loaded as Boson loads a checkpoint's tokenizer (PreTrainedTokenizerFast).

    boson_prepare_chatml.py TOKENIZER_JSON SAMPLES.jsonl OUT.json

OUT: [{"input_ids", "label_ids", "audio_urls", "speaker"}] in file order. Each line goes in as the
dict a user's file holds: Boson's function converts it itself (dacite, strict).
"""
import json
import sys

from boson_multimodal.dataset.chatml_dataset import prepare_chatml_sample
from transformers import PreTrainedTokenizerFast


def main(tokenizer_json, samples, out):
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    results = []
    with open(samples, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            ids, labels, audios, speaker = prepare_chatml_sample(json.loads(line), tok)
            if ids is None:
                sys.exit(f"{samples}:{n}: Boson's prepare_chatml_sample refused the sample (see above)")
            results.append({"input_ids": ids, "label_ids": labels,
                            "audio_urls": [a.audio_url for a in audios], "speaker": speaker})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f)
    print(f"boson prepare_chatml_sample: {len(results)} samples")


if __name__ == "__main__":
    main(*sys.argv[1:4])
