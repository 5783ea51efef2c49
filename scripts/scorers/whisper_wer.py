#!/usr/bin/env python3
"""WER and CER of a generated clip by Whisper, for higgs-train's `command` scorer: the numbers the
field reports (Seed-TTS-eval uses Whisper-large-v3 for English), where the built-in `asr` scorer's
PocketSphinx only follows a run's progress.

    scorers: [(import 'lib/whisper_wer.libsonnet')('/models/whisper-large-v3')]

Reads one JSON request on stdin ({"wav", "text", ...}; docs/generation.md), prints
{"wer", "cer", "asr_text"} as its last line. The model is a local directory or file the user
gives (--model): faster-whisper (CTranslate2) when installed, else transformers' pipeline.
Normalisation as Seed-TTS-eval's run_wer.py: lower case, punctuation but the apostrophe removed,
spaces collapsed (the same rules as components/generation/word_error_rate.cpp).
"""
import argparse
import json
import string
import sys

UNICODE_PUNCTUATION = "。，、；：？！“”‘（）《》【】—…–·「」『』¿¡"


def normalize(text):
    text = text.replace("\u2019", "'")
    for p in UNICODE_PUNCTUATION:
        text = text.replace(p, " ")
    text = "".join(c for c in text if c == "'" or c not in string.punctuation)
    return " ".join(text.lower().split())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[-1]


def rates(reference, hypothesis):
    ref, hyp = normalize(reference), normalize(hypothesis)
    rw, hw = ref.split(), hyp.split()
    rc, hc = list(ref.replace(" ", "")), list(hyp.replace(" ", ""))
    wer = edit_distance(rw, hw) / len(rw) if rw else float(bool(hw))
    cer = edit_distance(rc, hc) / len(rc) if rc else float(bool(hc))
    return wer, cer


def transcribe(model, wav, language):
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        WhisperModel = None
    if WhisperModel is not None:
        segments, _ = WhisperModel(model, device="auto").transcribe(wav, language=language, beam_size=5)
        return " ".join(s.text.strip() for s in segments)
    from transformers import pipeline
    asr = pipeline("automatic-speech-recognition", model=model)
    return asr(wav, generate_kwargs={"language": language})["text"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="Whisper model: a local directory or file")
    ap.add_argument("--language", default="en")
    args = ap.parse_args()
    request = json.load(sys.stdin)
    heard = transcribe(args.model, request["wav"], args.language)
    wer, cer = rates(request["text"], heard)
    print(json.dumps({"wer": wer, "cer": cer, "asr_text": normalize(heard)}))


if __name__ == "__main__":
    main()
