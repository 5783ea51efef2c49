"""Boson's HiggsAudioTokenizer (boson-multimodal 0.1.1, with descript-audio-codec as it imports it)
as the referee of the audio tokenizer.

    boson_audio_tokenizer.py build CONFIG.json OUT_DIR SEED
        The tokenizer at the config's widths with random weights, saved in the released layout:
        config.json + model.pth (torch.save of its state_dict). Its HuBERT is a HubertModel of the
        default HubertConfig, which is bosonai/hubert_base's architecture (same 602 tensors as the
        released model.pth), built locally instead of fetched from the model hub.
    boson_audio_tokenizer.py encode DIR CLIPS.json OUT.safetensors
        load_higgs_audio_tokenizer(DIR); for each clip {"name", "path"}: the file read with
        soundfile, encode(wv, sr) (librosa's soxr_hq resampling to 24 kHz inside), and
        decode(codes): "codes.NAME" (int64 (8, T)) and "wave.NAME" (float32 at 24 kHz).
"""
import json
import os
import shutil
import sys

import soundfile
import torch
import transformers
from safetensors.torch import save_file

import boson_multimodal.audio_processing.higgs_audio_tokenizer as hat


class _LocalHubert:
    """Stands in for AutoModel.from_pretrained("bosonai/hubert_base"): no model hub here."""

    @staticmethod
    def from_pretrained(name, **kwargs):
        return transformers.HubertModel(transformers.HubertConfig())


hat.AutoModel = _LocalHubert


def build(config_path, out_dir, seed):
    config = json.load(open(config_path))
    torch.manual_seed(int(seed))
    model = hat.HiggsAudioTokenizer(**config, device="cpu").eval()
    # A fresh tokenizer's RVQ codebooks are zeros waiting for k-means (kmeans_init: the first
    # forward fits them to the data it sees, in eval mode too), so Boson's encode would fit them
    # to the first clip. A released checkpoint is initialised (inited = 1): make these so too.
    with torch.no_grad():
        for layer in model.quantizer.vq.layers:
            cb = layer._codebook
            cb.embed.copy_(torch.randn_like(cb.embed))
            cb.embed_avg.copy_(cb.embed)
            cb.cluster_size.fill_(1.0)
            cb.inited.fill_(1.0)
    os.makedirs(out_dir, exist_ok=True)
    shutil.copy(config_path, os.path.join(out_dir, "config.json"))
    torch.save(model.state_dict(), os.path.join(out_dir, "model.pth"))
    print(f"boson audio tokenizer: {sum(p.numel() for p in model.parameters())} parameters")


def encode(tok_dir, clips_path, out_path):
    tok = hat.load_higgs_audio_tokenizer(tok_dir, device="cpu")
    out = {}
    with torch.no_grad():
        for clip in json.load(open(clips_path)):
            wv, sr = soundfile.read(clip["path"], dtype="float32")
            codes = tok.encode(wv, sr)
            out["codes." + clip["name"]] = codes.long().contiguous()
            out["wave." + clip["name"]] = torch.from_numpy(tok.decode(codes.unsqueeze(0))).reshape(-1).float().contiguous()
    save_file(out, out_path)
    print(f"boson audio tokenizer: {len(out) // 2} clips")


if __name__ == "__main__":
    {"build": build, "encode": encode}[sys.argv[1]](*sys.argv[2:])
