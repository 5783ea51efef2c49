"""resemblyzer 0.1.4 as the referee of higgs-train's GE2E speaker encoder
(components/generation/speaker_encoder.h).

    resemblyzer_embed.py weights                 print the path of the package's pretrained.pt
    resemblyzer_embed.py embed OUT WAV [WAV...]  for each 16 kHz WAV, after resemblyzer's volume
        normalisation (no webrtcvad trimming, which higgs-train does not do): the mel power
        spectrogram ("mel.I") and embed_utterance's embedding ("embed.I"), into OUT.safetensors
"""
import os
import sys

import numpy as np
import soundfile
import torch
from safetensors.torch import save_file

import resemblyzer
from resemblyzer import audio, hparams
from resemblyzer.voice_encoder import VoiceEncoder

if sys.argv[1] == "weights":
    print(os.path.join(os.path.dirname(resemblyzer.__file__), "pretrained.pt"))
    sys.exit(0)
assert sys.argv[1] == "embed"
torch.set_num_threads(1)
encoder = VoiceEncoder("cpu", verbose=False)
out = {}
for i, path in enumerate(sys.argv[3:]):
    wav, sr = soundfile.read(path, dtype="float32")
    assert sr == hparams.sampling_rate, sr
    wav = audio.normalize_volume(wav, hparams.audio_norm_target_dBFS, increase_only=True)
    out[f"mel.{i}"] = torch.from_numpy(audio.wav_to_mel_spectrogram(wav)).contiguous()
    out[f"embed.{i}"] = torch.from_numpy(encoder.embed_utterance(wav).astype(np.float32))
save_file(out, sys.argv[2])
print("embedded", len(sys.argv) - 3, "clips")
