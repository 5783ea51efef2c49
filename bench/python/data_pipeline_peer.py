#!/usr/bin/python3
"""Python peer of bench/data_pipeline.cpp: the same ChatML file, the same steps per sample, with
the usual Python stack (json, sentencepiece, soundfile, torchaudio, torch):

  text: every text turn encoded with sentencepiece and laid out with the Llama-3 headers and
        <|audio_bos|>/<|AUDIO|>/<|audio_out_bos|>/<|AUDIO_OUT|> placeholders, labels masked before
        start_index (as prepare_chatml_sample);
  audio: each file hashed (xxhash is not in Debian's python3; blake2b of the bytes instead) and its
        codes read from a cache directory of .pt files (torch.load), as the C++ code cache does;
        with --whisper, every clip loaded (soundfile, channel mean) and resampled to 16 kHz
        (torchaudio), and the audio-in clips (user/system turns) turned into 128-bin Whisper
        log-mels of 30 s windows (torch.stft), as the C++ dataset and collator do;
  collate: input_ids/labels padded to a multiple of 8, codes concatenated, delay pattern applied.

The first pass fills the peer's code cache with codes of the right length (25 frames per second;
the peer has no audio tokenizer), the timed passes read them back.

usage: data_pipeline_peer.py DATA.jsonl SPM.model SPECIAL_TOKENS.json CACHE_DIR
         [--whisper] [--batch 4] [--repeat 3] [--threads 1]
"""
import argparse
import hashlib
import json
import os
import time

import sentencepiece as spm
import soundfile as sf
import torch
import torchaudio.functional as AF

N_FFT, HOP, CHUNK, K = 400, 160, 480000, 8


def log_mel(wav16, filters, window):
    x = torch.zeros(CHUNK)
    x[: min(CHUNK, len(wav16))] = wav16[:CHUNK]
    power = torch.stft(x, N_FFT, HOP, window=window, return_complex=True)[..., :-1].abs() ** 2
    spec = torch.clamp(filters.T @ power, min=1e-10).log10()
    return (torch.maximum(spec, spec.max() - 8.0) + 4.0) / 4.0


class Peer:
    def __init__(self, a):
        self.sp = spm.SentencePieceProcessor(model_file=a.spm)
        self.special = json.load(open(a.special))
        self.cache = a.cache
        os.makedirs(self.cache, exist_ok=True)
        self.whisper = a.whisper
        self.filters = AF.melscale_fbanks(N_FFT // 2 + 1, 0.0, 8000.0, 128, 16000, "slaney", "slaney")
        self.window = torch.hann_window(N_FFT)
        self.base = os.path.dirname(os.path.abspath(a.data))
        self.samples = [json.loads(line) for line in open(a.data) if line.strip()]

    def tok(self, name):
        return self.special[name]

    def codes(self, path):
        digest = hashlib.blake2b(open(path, "rb").read(), digest_size=8).hexdigest()
        entry = os.path.join(self.cache, digest + ".pt")
        if os.path.exists(entry):
            return torch.load(entry)
        frames = int(sf.info(path).duration * 25 + 0.999)
        codes = torch.randint(0, 1024, (K, frames))
        torch.save(codes, entry)
        return codes

    def sample(self, s):
        ids, labels, codes, feats = [self.tok("<|begin_of_text|>")], [-100], [], []
        start = s.get("start_index") or 0
        for turn, m in enumerate(s["messages"]):
            content = m["content"]
            items = content if isinstance(content, list) else [content]
            head = [self.tok("<|start_header_id|>")] + self.sp.encode(m["role"]) + [self.tok("<|end_header_id|>")] \
                + self.sp.encode("\n\n")
            body = []
            for it in items:
                if isinstance(it, str) or it.get("type", "text") == "text":
                    body += self.sp.encode(it if isinstance(it, str) else it["text"])
                    continue
                path = os.path.join(self.base, it["audio_url"])
                codes.append(self.codes(path))
                if m["role"] == "assistant":
                    body += [self.tok("<|audio_out_bos|>"), self.tok("<|AUDIO_OUT|>"), self.tok("<|audio_eos|>")]
                else:
                    body += [self.tok("<|audio_bos|>"), self.tok("<|AUDIO|>"), self.tok("<|audio_eos|>")]
                if self.whisper:  # every waveform at 16 kHz; Whisper features for audio-in only
                    data, sr = sf.read(path, dtype="float32", always_2d=True)
                    wav16 = AF.resample(torch.from_numpy(data.mean(axis=1)), sr, 16000)
                    if m["role"] != "assistant":
                        for off in range(0, len(wav16), CHUNK):
                            feats.append(log_mel(wav16[off : off + CHUNK], self.filters, self.window))
            body.append(self.tok("<|eot_id|>"))
            ids += head + body
            labels += [-100] * len(head) + (body if m["role"] == "assistant" and turn >= start else [-100] * len(body))
        return ids, labels, codes, feats

    def collate(self, batch):
        length = max(len(ids) for ids, _, _, _ in batch)
        length = (length + 7) // 8 * 8
        input_ids = torch.zeros(len(batch), length, dtype=torch.long)
        label_ids = torch.full((len(batch), length), -100, dtype=torch.long)
        for i, (ids, labels, _, _) in enumerate(batch):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            label_ids[i, : len(labels)] = torch.tensor(labels)
        delayed = []
        for _, _, codes, _ in batch:
            for c in codes:  # BOS frame, delay pattern, EOS frame
                t = c.shape[1]
                d = torch.full((K, t + K + 1), 1025, dtype=torch.long)
                d[:, 0] = 1024
                for k in range(K):
                    d[k, 1 : 1 + k] = 1024
                    d[k, 1 + k : 1 + k + t] = c[k]
                delayed.append(d)
        audio = torch.cat(delayed, dim=1) if delayed else None
        feats = [f for _, _, _, fs in batch for f in fs]
        feats = torch.stack(feats) if feats else None
        return input_ids, label_ids, audio, feats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("spm")
    ap.add_argument("special")
    ap.add_argument("cache")
    ap.add_argument("--whisper", action="store_true")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    peer = Peer(a)
    n = len(peer.samples)

    def run_pass():
        frames = tokens = windows = 0
        for b in range(0, n, a.batch):
            batch = [peer.sample(s) for s in peer.samples[b : b + a.batch]]
            tokens += sum(len(x[0]) for x in batch)
            frames += sum(c.shape[1] for x in batch for c in x[2])
            out = peer.collate(batch)
            assert out[0].shape[0] == len(batch)
            windows += 0 if out[3] is None else out[3].shape[0]
        return frames, tokens, windows

    t0 = time.perf_counter()
    run_pass()
    first = time.perf_counter() - t0
    best = 1e30
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        frames, tokens, windows = run_pass()
        best = min(best, time.perf_counter() - t0)
    audio_s = frames / 25.0
    for kind, t in (("first (fills the code cache)", first), ("steady", best)):
        print(json.dumps({"impl": "python sentencepiece+soundfile+torchaudio", "pass": kind, "samples": n,
                          "text_tokens": tokens, "whisper_windows": windows, "audio_s": round(audio_s, 2), "wall_s": round(t, 4),
                          "samples_per_s": round(n / t, 1), "audio_s_per_s": round(audio_s / t, 1),
                          "threads": a.threads}))


if __name__ == "__main__":
    main()
