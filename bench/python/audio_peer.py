#!/usr/bin/python3
"""Python peer of bench/audio_bench.cpp: the same files, the same stages, with the usual Python
stack: soundfile (libsndfile) load + channel mean, torchaudio.functional.resample to 24 kHz and
16 kHz, and Whisper log-mel as transformers' torch path computes it (torch.stft, float32).

usage: audio_peer.py DIR [--repeat 3] [--threads 1]
Prints one JSON line per stage, like audio_bench.
"""
import argparse
import json
import os
import time

import soundfile as sf
import torch
import torchaudio.functional as AF

N_FFT, HOP, CHUNK = 400, 160, 480000


def whisper_log_mel(chunks, filters, window):
    batch = torch.zeros(len(chunks), CHUNK)
    for i, c in enumerate(chunks):
        batch[i, : len(c)] = c
    stft = torch.stft(batch, N_FFT, HOP, window=window, return_complex=True)
    power = stft[..., :-1].abs() ** 2
    mel = filters.T @ power
    log_spec = torch.clamp(mel, min=1e-10).log10()
    peak = log_spec.amax(dim=(1, 2), keepdim=True)
    return (torch.maximum(log_spec, peak - 8.0) + 4.0) / 4.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    files = sorted(
        os.path.join(a.dir, f) for f in os.listdir(a.dir)
        if f.endswith((".wav", ".flac", ".mp3", ".ogg")))
    filters = AF.melscale_fbanks(N_FFT // 2 + 1, 0.0, 8000.0, 128, 16000, "slaney", "slaney")
    window = torch.hann_window(N_FFT)
    best = {"load": 1e30, "resample_24k_16k": 1e30, "whisper_log_mel": 1e30, "total": 1e30}
    audio_s = 0.0
    for _ in range(a.repeat):
        t = {k: 0.0 for k in best}
        secs = 0.0
        t_all = time.perf_counter()
        for f in files:
            t0 = time.perf_counter()
            data, sr = sf.read(f, dtype="float32", always_2d=True)
            wav = torch.from_numpy(data.mean(axis=1))
            t["load"] += time.perf_counter() - t0
            secs += len(wav) / sr
            t0 = time.perf_counter()
            s24 = AF.resample(wav, sr, 24000)
            s16 = AF.resample(wav, sr, 16000)
            t["resample_24k_16k"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            chunks = [s16[o:o + CHUNK] for o in range(0, len(s16), CHUNK)]
            feats = whisper_log_mel(chunks, filters, window)
            t["whisper_log_mel"] += time.perf_counter() - t0
            assert feats.shape[0] == len(chunks) and s24.numel() > 0
        t["total"] = time.perf_counter() - t_all
        audio_s = secs
        for k in best:
            best[k] = min(best[k], t[k])
    for k, v in best.items():
        print(json.dumps({"impl": "python soundfile+torchaudio", "stage": k, "files": len(files),
                          "audio_s": round(audio_s, 2), "wall_s": round(v, 4),
                          "audio_s_per_s": round(audio_s / v, 1), "threads": a.threads}))


if __name__ == "__main__":
    main()
