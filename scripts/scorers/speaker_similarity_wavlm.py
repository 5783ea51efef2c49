#!/usr/bin/env python3
"""Speaker similarity by a WavLM speaker-verification model, for higgs-train's `command` scorer:
the cosine similarity of x-vectors of the generated clip and its reference(s), as Seed-TTS-eval's
SIM (which uses WavLM-large fine-tuned for verification). The built-in `speaker_similarity`
scorer (GE2E) follows a run; this one gives numbers closer to the papers'.

    scorers: [(import 'lib/speaker_similarity_wavlm.libsonnet')('/models/wavlm-base-plus-sv')]

The model is a local transformers checkpoint of WavLMForXVector (e.g. microsoft/wavlm-base-plus-sv,
downloaded by you); nothing is fetched. Reads one JSON request on stdin ({"wav", "ref_audio", ...};
docs/generation.md), prints {"sim": cosine} as its last line.
"""
import argparse
import json
import sys

import numpy as np
import soundfile


def load_16k(path):
    wav, sr = soundfile.read(path, dtype="float32", always_2d=True)
    wav = wav.mean(axis=1)
    if sr != 16000:
        import torch
        import torchaudio.functional as F
        wav = F.resample(torch.from_numpy(wav), sr, 16000).numpy()
    return wav


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="local WavLMForXVector checkpoint directory")
    args = ap.parse_args()
    request = json.load(sys.stdin)
    if not request.get("ref_audio"):
        sys.exit("speaker_similarity_wavlm: the sample has no reference audio")
    import torch
    from transformers import AutoFeatureExtractor, WavLMForXVector
    extractor = AutoFeatureExtractor.from_pretrained(args.model)
    model = WavLMForXVector.from_pretrained(args.model).eval()
    wavs = [load_16k(request["wav"])] + [load_16k(p) for p in request["ref_audio"]]
    with torch.no_grad():
        inputs = extractor(wavs, sampling_rate=16000, padding=True, return_tensors="pt")
        emb = torch.nn.functional.normalize(model(**inputs).embeddings, dim=-1)
    ref = torch.nn.functional.normalize(emb[1:].mean(0), dim=-1)
    print(json.dumps({"sim": float(torch.dot(emb[0], ref))}))


if __name__ == "__main__":
    main()
