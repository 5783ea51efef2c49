"""Independent PyTorch reference of the Higgs audio tokenizer, for the C++ tests.

Written from the architecture of boson_multimodal/audio_processing/higgs_audio_tokenizer.py
(xcodec: DAC encoder/decoder with torch weight_norm, HuBERT-base semantic teacher fed through
torchaudio's resampler, semantic conv encoder, RVQ) with torch.nn modules, so that the C++ code
is checked against a second implementation rather than against itself.

usage: higgs_audio_tokenizer_ref.py CONFIG_JSON OUT_DIR SEED
writes OUT_DIR/weights.pth (plain dict, released tensor names) and OUT_DIR/results.pth.
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio
from torch.nn.utils import weight_norm

DEFAULTS = dict(D=256, codebook_dim=64, ratios=[8, 5, 4, 2, 3], sample_rate=24000, bins=1024,
                n_q=8, acoustic_encoder_dim=64, acoustic_decoder_dim=1024,
                semantic_sample_rate=16000, semantic_hidden_size=768, semantic_num_layers=12,
                semantic_num_heads=12, semantic_intermediate_size=3072,
                semantic_conv_dim=[512] * 7, semantic_conv_kernel=[10, 3, 3, 3, 3, 2, 2],
                semantic_conv_stride=[5, 2, 2, 2, 2, 2, 2], semantic_pos_conv_kernel=128,
                semantic_pos_conv_groups=16, semantic_layer_norm_eps=1e-5)


# ---------------- DAC ----------------
class Snake1d(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, c, 1))

    def forward(self, x):
        return x + (self.alpha + 1e-9).reciprocal() * torch.sin(self.alpha * x).pow(2)


def wn_conv(*a, **k):
    return weight_norm(nn.Conv1d(*a, **k))


class ResUnit(nn.Module):
    def __init__(self, dim, dilation):
        super().__init__()
        self.block = nn.Sequential(Snake1d(dim),
                                   wn_conv(dim, dim, 7, dilation=dilation, padding=3 * dilation),
                                   Snake1d(dim), wn_conv(dim, dim, 1))

    def forward(self, x):
        return x + self.block(x)


class EncBlock(nn.Module):
    def __init__(self, dim, stride):
        super().__init__()
        self.block = nn.Sequential(ResUnit(dim // 2, 1), ResUnit(dim // 2, 3), ResUnit(dim // 2, 9),
                                   Snake1d(dim // 2),
                                   wn_conv(dim // 2, dim, 2 * stride, stride=stride,
                                           padding=math.ceil(stride / 2)))

    def forward(self, x):
        return self.block(x)


class DacEncoder(nn.Module):
    def __init__(self, d, strides, latent):
        super().__init__()
        layers = [wn_conv(1, d, 7, padding=3)]
        for s in strides:
            d *= 2
            layers.append(EncBlock(d, s))
        layers += [Snake1d(d), wn_conv(d, latent, 3, padding=1)]
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return self.block(x)


class DecBlock(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.block = nn.Sequential(
            Snake1d(i),
            weight_norm(nn.ConvTranspose1d(i, o, 2 * s, stride=s, padding=math.ceil(s / 2),
                                           output_padding=s % 2)),
            ResUnit(o, 1), ResUnit(o, 3), ResUnit(o, 9))

    def forward(self, x):
        return self.block(x)


class DacDecoder(nn.Module):
    def __init__(self, cin, ch, rates):
        super().__init__()
        layers = [wn_conv(cin, ch, 7, padding=3)]
        for i, s in enumerate(rates):
            layers.append(DecBlock(ch // 2 ** i, ch // 2 ** (i + 1), s))
        out = ch // 2 ** len(rates)
        layers += [Snake1d(out), wn_conv(out, 1, 7, padding=3)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


# ---------------- HuBERT ----------------
class Holder(nn.Module):
    pass


class HubertLayer(nn.Module):
    def __init__(self, h, heads, inter, eps):
        super().__init__()
        self.heads = heads
        self.attention = Holder()
        for n in ["k_proj", "v_proj", "q_proj", "out_proj"]:
            setattr(self.attention, n, nn.Linear(h, h))
        self.layer_norm = nn.LayerNorm(h, eps=eps)
        self.feed_forward = Holder()
        self.feed_forward.intermediate_dense = nn.Linear(h, inter)
        self.feed_forward.output_dense = nn.Linear(inter, h)
        self.final_layer_norm = nn.LayerNorm(h, eps=eps)

    def forward(self, x):  # (B, T, H)
        a = self.attention
        h = x.shape[-1]
        att, _ = F.multi_head_attention_forward(
            x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), h, self.heads,
            None, torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]), None, None, False,
            0.0, a.out_proj.weight, a.out_proj.bias, training=False, need_weights=False,
            use_separate_proj_weight=True, q_proj_weight=a.q_proj.weight,
            k_proj_weight=a.k_proj.weight, v_proj_weight=a.v_proj.weight)
        x = self.layer_norm(x + att.transpose(0, 1))
        ff = self.feed_forward
        x = self.final_layer_norm(x + ff.output_dense(F.gelu(ff.intermediate_dense(x))))
        return x


class Hubert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.feature_extractor = Holder()
        self.feature_extractor.conv_layers = nn.ModuleList()
        cin = 1
        for i, (d, k, s) in enumerate(zip(c["semantic_conv_dim"], c["semantic_conv_kernel"],
                                          c["semantic_conv_stride"])):
            m = Holder()
            m.conv = nn.Conv1d(cin, d, k, stride=s, bias=False)
            if i == 0:
                m.layer_norm = nn.GroupNorm(d, d, affine=True)
            self.feature_extractor.conv_layers.append(m)
            cin = d
        h = c["semantic_hidden_size"]
        eps = c["semantic_layer_norm_eps"]
        self.feature_projection = Holder()
        self.feature_projection.layer_norm = nn.LayerNorm(cin, eps=eps)
        self.feature_projection.projection = nn.Linear(cin, h)
        self.encoder = Holder()
        self.encoder.pos_conv_embed = Holder()
        k = c["semantic_pos_conv_kernel"]
        self.pos_k = k
        self.encoder.pos_conv_embed.conv = weight_norm(
            nn.Conv1d(h, h, k, padding=k // 2, groups=c["semantic_pos_conv_groups"]), dim=2)
        self.encoder.layer_norm = nn.LayerNorm(h, eps=eps)
        self.encoder.layers = nn.ModuleList(
            [HubertLayer(h, c["semantic_num_heads"], c["semantic_intermediate_size"], eps)
             for _ in range(c["semantic_num_layers"])])
        self.masked_spec_embed = nn.Parameter(torch.zeros(h))

    def forward(self, wav):  # (B, N) -> list of hidden states (B, T, H)
        x = wav[:, None]
        for m in self.feature_extractor.conv_layers:
            x = m.conv(x)
            if hasattr(m, "layer_norm"):
                x = m.layer_norm(x)
            x = F.gelu(x)
        x = x.transpose(1, 2)
        fp = self.feature_projection
        x = fp.projection(fp.layer_norm(x))
        pos = self.encoder.pos_conv_embed.conv(x.transpose(1, 2))
        if self.pos_k % 2 == 0:
            pos = pos[:, :, :-1]
        x = self.encoder.layer_norm(x + F.gelu(pos).transpose(1, 2))
        hs = [x]
        for layer in self.encoder.layers:
            x = layer(x)
            hs.append(x)
        return hs


# ---------------- semantic conv encoder / decoder ----------------
class ConvW(nn.Module):
    def __init__(self, cin, cout, k, bias):
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, k, padding=(k - 1) // 2, bias=bias)

    def forward(self, x):
        return self.conv(x)


class SemRes(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = ConvW(c, c, 3, False)
        self.conv2 = nn.Conv1d(c, c, 1, bias=False)

    def forward(self, x):
        return x + self.conv2(F.elu(self.conv1(F.elu(x))))


class SemBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.res_units = nn.ModuleList([SemRes(c), SemRes(c)])
        self.conv = ConvW(c, c, 3, True)

    def forward(self, x):
        for u in self.res_units:
            x = u(x)
        return self.conv(x)


class SemEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = ConvW(c, c, 3, False)
        self.conv_blocks = nn.ModuleList([SemBlock(c), SemBlock(c)])

    def forward(self, x):
        x = self.conv(x)
        for b in self.conv_blocks:
            x = b(x)
        return x


class SemDecoder(nn.Module):  # training only; present for the tensor names
    def __init__(self, c):
        super().__init__()
        self.conv1 = ConvW(c, c, 3, False)
        self.conv_blocks = nn.ModuleList([SemBlock(c), SemBlock(c)])
        self.conv2 = ConvW(c, c, 3, False)


# ---------------- RVQ ----------------
class Codebook(nn.Module):
    def __init__(self, dim, bins):
        super().__init__()
        self.register_buffer("inited", torch.ones(1))
        self.register_buffer("cluster_size", torch.zeros(bins))
        self.register_buffer("embed", torch.zeros(bins, dim))
        self.register_buffer("embed_avg", torch.zeros(bins, dim))


class VQ(nn.Module):
    def __init__(self, dim, cdim, bins):
        super().__init__()
        self.project_in = nn.Linear(dim, cdim)
        self.project_out = nn.Linear(cdim, dim)
        self._codebook = Codebook(cdim, bins)


class Tokenizer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h = c["semantic_hidden_size"]
        qd = c["D"] + h
        self.encoder = DacEncoder(c["acoustic_encoder_dim"], c["ratios"], c["D"])
        self.decoder_2 = DacDecoder(c["D"], c["acoustic_decoder_dim"], c["ratios"])
        self.semantic_model = Hubert(c)
        self.encoder_semantic = SemEncoder(h)
        self.decoder_semantic = SemDecoder(h)
        self.quantizer = Holder()
        self.quantizer.vq = Holder()
        self.quantizer.vq.layers = nn.ModuleList(
            [VQ(qd, c["codebook_dim"], c["bins"]) for _ in range(c["n_q"])])
        self.fc_prior = nn.Linear(qd, qd)
        self.fc_post1 = nn.Linear(qd, h)
        self.fc_post2 = nn.Linear(qd, c["D"])
        hop = math.prod(c["ratios"])
        self.k = int(hop / (c["sample_rate"] / c["semantic_sample_rate"]) /
                     math.prod(c["semantic_conv_stride"]))

    def semantic_features(self, x):  # (B, 1, N) -> (B, T, H)
        x = torchaudio.functional.resample(x, self.c["sample_rate"], self.c["semantic_sample_rate"])
        x = F.pad(x[:, 0, :], (160, 160))
        t = torch.stack(self.semantic_model(x), dim=1).mean(1)
        return t[:, ::self.k, :] if self.k > 1 else t

    def rvq_encode(self, e):  # (B, Q, T) -> (n_q, B, T)
        residual = e
        codes = []
        for layer in self.quantizer.vq.layers:
            z = layer.project_in(residual.transpose(1, 2))
            emb = layer._codebook.embed
            d = -(z.pow(2).sum(-1, keepdim=True) - 2 * z @ emb.t() + emb.pow(2).sum(-1)[None, None])
            idx = d.max(-1).indices
            q = layer.project_out(F.embedding(idx, emb)).transpose(1, 2)
            residual = residual - q
            codes.append(idx)
        return torch.stack(codes)

    def encode(self, x):  # (1, 1, N) -> (n_q, T), as _xcodec_encode
        e_sem = self.encoder_semantic(self.semantic_features(x).transpose(1, 2))
        e_ac = self.encoder(x)
        if e_ac.shape[2] != e_sem.shape[2]:
            pad = 160 * self.k
            e_ac = self.encoder(F.pad(x[:, 0, :], (pad, pad)).unsqueeze(0))
        t = min(e_ac.shape[2], e_sem.shape[2])
        e = torch.cat([e_ac[:, :, :t], e_sem[:, :, :t]], 1)
        e = self.fc_prior(e.transpose(1, 2)).transpose(1, 2)
        return self.rvq_encode(e)[:, 0]

    def decode(self, codes):  # (n_q, T) -> (N,)
        q = 0
        for i, layer in enumerate(self.quantizer.vq.layers[:codes.shape[0]]):
            q = q + layer.project_out(F.embedding(codes[i][None], layer._codebook.embed))
        return self.decoder_2(self.fc_post2(q).transpose(1, 2)).reshape(-1)


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    sd = model.state_dict()
    out = {}
    for name, t in sd.items():
        shape = t.shape
        if name.endswith(".alpha"):
            v = torch.rand(shape, generator=g) + 0.5
        elif name.endswith("weight_g"):
            v = torch.rand(shape, generator=g) * 0.4 + 0.8
        elif "norm." in name:
            v = (1 + 0.1 * torch.randn(shape, generator=g)) if name.endswith("weight") else \
                0.1 * torch.randn(shape, generator=g)
        elif name.endswith("inited") or name.endswith("cluster_size"):
            v = torch.ones(shape)
        elif t.dim() == 1:
            v = 0.05 * torch.randn(shape, generator=g)
        elif "_codebook.embed" in name:
            v = torch.randn(shape, generator=g)
        else:
            v = torch.randn(shape, generator=g) / math.sqrt(t[0].numel())
        out[name] = v
    model.load_state_dict(out)
    # Released names: the HuBERT pos conv uses the parametrizations spelling.
    released = {}
    for name, v in out.items():
        name = name.replace("pos_conv_embed.conv.weight_g",
                            "pos_conv_embed.conv.parametrizations.weight.original0")
        name = name.replace("pos_conv_embed.conv.weight_v",
                            "pos_conv_embed.conv.parametrizations.weight.original1")
        released[name] = v.clone()
    return released


def main():
    cfg_path, out_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    c = dict(DEFAULTS)
    c.update({k: v for k, v in json.load(open(cfg_path)).items() if k in DEFAULTS})
    torch.manual_seed(seed)
    model = Tokenizer(c).eval()
    weights = randomize(model, seed)
    torch.save(weights, f"{out_dir}/weights.pth")

    g = torch.Generator().manual_seed(seed + 1)
    res = {}
    with torch.no_grad():
        # One encoder block and one HuBERT layer on random inputs.
        enc = model.encoder.block
        ch = c["acoustic_encoder_dim"]
        x = torch.randn(2, ch, 997, generator=g)
        res["block1_in"] = x
        res["block1_out"] = enc[1](x)
        ch2 = ch * 2
        x = torch.randn(2, ch2, 500, generator=g)
        res["block2_in"] = x
        res["block2_out"] = enc[2](x)
        h = torch.randn(2, 37, c["semantic_hidden_size"], generator=g)
        res["hubert_layer_in"] = h
        res["hubert_layer0_out"] = model.semantic_model.encoder.layers[0](h)
        lengths = [24000, 23999, 5000, 100000, 1000]
        for i, n in enumerate(lengths):
            w = 0.3 * torch.randn(n, generator=g)
            res[f"wave{i}"] = w
            x = w[None, None]
            codes = model.encode(x)
            res[f"codes{i}"] = codes
            if i == 0:
                res["acoustic0"] = model.encoder(x)
                res["semantic0"] = model.semantic_features(x).transpose(1, 2)
                res["resampled0"] = torchaudio.functional.resample(x, c["sample_rate"],
                                                                   c["semantic_sample_rate"])[0, 0]
                res["decoded0"] = model.decode(codes)
    torch.save(res, f"{out_dir}/results.pth")


if __name__ == "__main__":
    main()
