#!/usr/bin/python3
"""Independent numpy reference of Whisper's log-mel features (transformers' numpy path).

Written from the published formulas, not from the C++ code: explicit framing with reflect
padding, numpy rfft, librosa-style Slaney mel filters built from rfftfreq.

usage: whisper_log_mel_ref.py IN.f32 LENGTHS OUT_PREFIX [--n-mels 128]
  IN.f32      the waveforms, float32 little-endian, concatenated
  LENGTHS     comma-separated sample counts of each waveform ("" for none)
  writes OUT_PREFIX.features.f32 (N, n_mels, 3000) and OUT_PREFIX.mask.i32 (N, 3000)
"""
import argparse

import numpy as np

SR, N_FFT, HOP, CHUNK = 16000, 400, 160, 30 * 16000


def hz_to_mel(f):
    f = np.asarray(f, dtype=np.float64)
    lin = f * 3.0 / 200.0
    log = 15.0 + np.log(np.maximum(f, 1e-12) / 1000.0) * 27.0 / np.log(6.4)
    return np.where(f >= 1000.0, log, lin)


def mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    lin = m * 200.0 / 3.0
    log = 1000.0 * np.exp((m - 15.0) * np.log(6.4) / 27.0)
    return np.where(m >= 15.0, log, lin)


def mel_filters(n_mels, fmin=0.0, fmax=8000.0):
    fft_freqs = np.fft.rfftfreq(N_FFT, d=1.0 / SR)
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    w = np.zeros((n_mels, len(fft_freqs)))
    for m in range(n_mels):
        lower = (fft_freqs - pts[m]) / (pts[m + 1] - pts[m])
        upper = (pts[m + 2] - fft_freqs) / (pts[m + 2] - pts[m + 1])
        w[m] = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (pts[m + 2] - pts[m]))
    return w


def log_mel(wave, filters):
    x = np.zeros(CHUNK, dtype=np.float32)
    n = min(len(wave), CHUNK)
    x[:n] = wave[:n]
    x = np.pad(x.astype(np.float64), N_FFT // 2, mode="reflect")
    n_frames = 1 + (len(x) - N_FFT) // HOP
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2  # (frames, bins)
    mel = filters @ power.T
    spec = np.log10(np.maximum(mel, 1e-10))[:, :-1]
    spec = np.maximum(spec, spec.max() - 8.0)
    feats = ((spec + 4.0) / 4.0).astype(np.float32)
    mask = (np.arange(CHUNK) < len(wave)).astype(np.int32)[::HOP]
    return feats, mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("lengths")
    ap.add_argument("out_prefix")
    ap.add_argument("--n-mels", type=int, default=128)
    a = ap.parse_args()
    data = np.fromfile(a.input, dtype="<f4")
    lengths = [int(s) for s in a.lengths.split(",") if s]
    assert sum(lengths) == len(data), (sum(lengths), len(data))
    filters = mel_filters(a.n_mels)
    feats, masks, pos = [], [], 0
    for n in lengths:
        f, m = log_mel(data[pos:pos + n], filters)
        feats.append(f)
        masks.append(m)
        pos += n
    np.asarray(feats, dtype="<f4").tofile(a.out_prefix + ".features.f32")
    np.asarray(masks, dtype="<i4").tofile(a.out_prefix + ".mask.i32")


if __name__ == "__main__":
    main()
