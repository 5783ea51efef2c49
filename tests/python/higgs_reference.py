#!/usr/bin/python3
"""Independent PyTorch reference of the Higgs Audio v2 forward pass and training loss.

Written from spec/higgs-audio-v2.md (sections 1-2) and, for the Whisper audio tower, the
reference's HiggsAudioEncoder / WhisperEncoderLayer semantics, not from the C++ code: the placeholder merge
builds each expanded row as a Python list, attention uses an explicit boolean mask, and the loss
follows the spec's formulas. The C++ unit tests run it on the same weights and batch.

usage:
  higgs_reference.py forward CONFIG.json WEIGHTS.pt BATCH.pt OUT.pt
      WEIGHTS/BATCH: torch pickles of {name: tensor}. OUT gets logits, audio_logits, masks,
      labels, position ids, the loss sums/counts/correct per term and the gradient of
      text_sum + sum_k audio_cb{k}_sum for every parameter ("grad.NAME").
  higgs_reference.py rope CONFIG.json POSITIONS.pt OUT.pt
      OUT gets inv_freq, cos, sin for position ids (B, L).
"""
import json
import math
import sys

import torch
import torch.nn.functional as F

IGNORE = -100


def text_cfg(cfg):
    return cfg["text_config"]


def llama3_inv_freq(tc):
    dim = tc.get("head_dim") or tc["hidden_size"] // tc["num_attention_heads"]
    base = tc["rope_theta"]
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = tc.get("rope_scaling")
    if not rs or rs.get("rope_type", rs.get("type")) == "default":
        return inv
    factor = rs["factor"]
    lo, hi = rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    out = []
    # Frequencies one by one: long wavelengths slowed by `factor`, short kept, between blended.
    for f in inv.tolist():
        wl = 2 * math.pi / f
        if wl < old / hi:
            out.append(f)
        elif wl > old / lo:
            out.append(f / factor)
        else:
            s = (old / wl - lo) / (hi - lo)
            out.append((1 - s) * f / factor + s * f)
    return torch.tensor(out, dtype=torch.float32)


def cos_sin(inv, pos):
    ang = pos.float()[..., None] * inv[None, None, :]
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos(), ang.sin()


def rms(x, w, eps):
    x32 = x.float()
    return w * (x32 / torch.sqrt(x32.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def mlp(W, p, x):
    return F.linear(F.silu(F.linear(x, W[p + "gate_proj.weight"])) * F.linear(x, W[p + "up_proj.weight"]),
                    W[p + "down_proj.weight"])


def rot(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def attention(W, p, x, cos, sin, allowed, tc):
    B, L, _ = x.shape
    nh, nkv = tc["num_attention_heads"], tc["num_key_value_heads"]
    hd = tc.get("head_dim") or tc["hidden_size"] // nh
    q = F.linear(x, W[p + "q_proj.weight"]).view(B, L, nh, hd).transpose(1, 2)
    k = F.linear(x, W[p + "k_proj.weight"]).view(B, L, nkv, hd).transpose(1, 2)
    v = F.linear(x, W[p + "v_proj.weight"]).view(B, L, nkv, hd).transpose(1, 2)
    c, s = cos[:, None], sin[:, None]
    q, k = q * c + rot(q) * s, k * c + rot(k) * s
    k = torch.repeat_interleave(k, nh // nkv, dim=1)
    v = torch.repeat_interleave(v, nh // nkv, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    # Disallowed cells get the dtype's lowest value (HF's additive mask), so an all-masked row
    # becomes uniform instead of NaN.
    scores = scores.masked_fill(~allowed[:, None], torch.finfo(scores.dtype).min)
    att = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v
    return F.linear(att.transpose(1, 2).reshape(B, L, nh * hd), W[p + "o_proj.weight"])


def audio_tower(cfg, W, feats, fmask):
    """HiggsAudioEncoder + HiggsAudioFeatureProjector on (N, mels, frames) features.

    Returns the projected frames (N, T', H) and the number of frames kept per window, following
    the reference: GELU convs, learned positions, Whisper encoder layers (pre-LayerNorm, k_proj
    without bias) whose attention ignores key frames past each window's length, average pooling
    by 2, final LayerNorm, then the Linear projector."""
    e = cfg["audio_encoder_config"]
    P = "audio_tower."
    d, nh = e["d_model"], e["encoder_attention_heads"]
    hd = d // nh
    x = F.gelu(F.conv1d(feats, W[P + "conv1.weight"], W[P + "conv1.bias"], padding=1))
    x = F.gelu(F.conv1d(x, W[P + "conv2.weight"], W[P + "conv2.bias"], stride=2, padding=1))
    x = x.transpose(1, 2) + W[P + "embed_positions.weight"]
    N, T, _ = x.shape
    valid = fmask.long().sum(-1)
    conv_len = [(int(n) - 1) // 2 + 1 for n in valid]  # Python floor division, as the reference
    keep_len = [(c - 2) // 2 + 1 for c in conv_len]
    key_ok = torch.tensor([[t < c for t in range(T)] for c in conv_len], dtype=torch.bool)
    for i in range(e["encoder_layers"]):
        p = P + f"layers.{i}."
        h = F.layer_norm(x, (d,), W[p + "self_attn_layer_norm.weight"], W[p + "self_attn_layer_norm.bias"], 1e-5)
        q = (F.linear(h, W[p + "self_attn.q_proj.weight"], W[p + "self_attn.q_proj.bias"]) * hd ** -0.5)
        k = F.linear(h, W[p + "self_attn.k_proj.weight"])
        v = F.linear(h, W[p + "self_attn.v_proj.weight"], W[p + "self_attn.v_proj.bias"])
        q, k, v = (y.view(N, T, nh, hd).transpose(1, 2) for y in (q, k, v))
        scores = (q @ k.transpose(-1, -2)).masked_fill(~key_ok[:, None, None, :], torch.finfo(q.dtype).min)
        att = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(N, T, d)
        x = x + F.linear(att, W[p + "self_attn.out_proj.weight"], W[p + "self_attn.out_proj.bias"])
        h = F.layer_norm(x, (d,), W[p + "final_layer_norm.weight"], W[p + "final_layer_norm.bias"], 1e-5)
        h = F.gelu(F.linear(h, W[p + "fc1.weight"], W[p + "fc1.bias"]))
        x = x + F.linear(h, W[p + "fc2.weight"], W[p + "fc2.bias"])
    x = F.avg_pool1d(x.transpose(1, 2), kernel_size=2, stride=2).transpose(1, 2)
    x = F.layer_norm(x, (d,), W[P + "layer_norm.weight"], W[P + "layer_norm.bias"], 1e-5)
    x = F.linear(x, W["audio_encoder_proj.linear.weight"], W["audio_encoder_proj.linear.bias"])
    return x, keep_len


def runs(starts, total):
    starts = starts.tolist()
    ends = starts[1:] + [total]
    return [(s, e) for s, e in zip(starts, ends)]


def merge(cfg, batch, text_emb, in_emb, out_emb, feat=None, feat_len=None):
    """Expands placeholders row by row; returns embeddings and per-position bookkeeping.

    With Whisper features, the k-th <|AUDIO|> becomes window k's kept tower frames, then its
    audio-in code columns."""
    ids, am = batch["input_ids"], batch.get("attention_mask", torch.ones_like(batch["input_ids"]))
    labels = batch.get("label_ids")
    B, L = ids.shape
    in_runs = runs(batch["audio_in_ids_start"], in_emb.shape[0]) if in_emb is not None else []
    out_runs = runs(batch["audio_out_ids_start"], out_emb.shape[0]) if out_emb is not None else []
    D = text_emb.shape[-1]
    zero = torch.zeros(D, dtype=text_emb.dtype)
    rows = []
    ii = oi = fi = 0
    nfeat = 0 if feat is None else feat.shape[0]
    for b in range(B):
        row = []  # (embedding, mask, input_id, label, kind)
        for j in range(L):
            t = int(ids[b, j])
            if t == cfg["audio_in_token_idx"] and (in_runs or nfeat):
                if nfeat:
                    row += [(feat[fi, c], 1, t, IGNORE, "whisper") for c in range(feat_len[fi])]
                    fi += 1
                if in_runs:
                    s, e = in_runs[ii]; ii += 1
                    row += [(in_emb[c], 1, t, IGNORE, "in") for c in range(s, e)]
            elif t == cfg["audio_out_token_idx"] and out_runs:
                s, e = out_runs[oi]; oi += 1
                row += [(out_emb[c], 1, t, IGNORE, "out") for c in range(s, e)]
            elif t in (cfg["audio_in_token_idx"], cfg["audio_out_token_idx"]):
                row.append((zero, 0, cfg["pad_token_id"], IGNORE, "pad"))
            else:
                lab = int(labels[b, j]) if labels is not None else IGNORE
                row.append((text_emb[b, j], int(am[b, j]), t, lab, "text"))
        rows.append(row)
    assert ii == len(in_runs) and oi == len(out_runs) and fi == nfeat
    longest = max(len(r) for r in rows)
    Lp = (longest + 7) // 8 * 8
    left = B == 1
    pad = (zero, 0, cfg["pad_token_id"], IGNORE, "pad")
    rows = [([pad] * (Lp - len(r)) + r) if left else (r + [pad] * (Lp - len(r))) for r in rows]
    # Drop whole 8-column blocks that are padding in every row.
    used = [any(r[c][1] for r in rows) for c in range(Lp)]
    if any(used):
        if left:
            first = used.index(True) // 8 * 8
            rows = [r[first:] for r in rows]
        else:
            last = Lp - 1 - used[::-1].index(True)
            keep = min(Lp, (last + 1 + 7) // 8 * 8)
            rows = [r[:keep] for r in rows]
    emb = torch.stack([torch.stack([c[0] for c in r]) for r in rows])
    mask = torch.tensor([[c[1] for c in r] for r in rows])
    out = {
        "attention_mask": mask,
        "input_ids": torch.tensor([[c[2] for c in r] for r in rows]),
        "labels": torch.tensor([[c[3] for c in r] for r in rows]),
        "audio_in_mask": torch.tensor([[c[4] in ("in", "whisper") for c in r] for r in rows]),
        "audio_in_discrete_codes_mask": torch.tensor([[c[4] == "in" for c in r] for r in rows]),
        "audio_out_mask": torch.tensor([[c[4] == "out" for c in r] for r in rows]),
    }
    pos = torch.cumsum(mask, -1) - 1
    out["position_ids"] = torch.where(mask == 0, torch.ones_like(pos), pos)
    return emb, out


def embed_codes(cfg, W, codes):
    rows = cfg["audio_codebook_size"] + 2
    total = 0
    for k in range(codes.shape[0]):
        total = total + W["audio_codebook_embeddings.weight"][codes[k] + k * rows]
    return total


def forward(cfg, W, batch):
    tc = text_cfg(cfg)
    eps = tc["rms_norm_eps"]
    text_emb = W["embed_tokens.weight"][batch["input_ids"]]
    has = lambda n: n in batch and batch[n].dim() == 2 and batch[n].shape[1] > 0
    in_emb = embed_codes(cfg, W, batch["audio_in_ids"]) if cfg.get("encode_audio_in_tokens") and has("audio_in_ids") else None
    out_emb = embed_codes(cfg, W, batch["audio_out_ids"]) if has("audio_out_ids") else None
    feat = feat_len = None
    if not cfg.get("skip_audio_tower", False) and batch["audio_features"].shape[0] > 0:
        fmask = batch.get("audio_feature_attention_mask")
        if fmask is None:
            fmask = torch.ones(batch["audio_features"].shape[0], batch["audio_features"].shape[2])
        feat, feat_len = audio_tower(cfg, W, batch["audio_features"].float(), fmask)
    x, m = merge(cfg, batch, text_emb, in_emb, out_emb, feat, feat_len)
    B, L, _ = x.shape
    cos, sin = cos_sin(llama3_inv_freq(tc), m["position_ids"])
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    valid = m["attention_mask"].bool()
    allowed = torch.tril(torch.ones(L, L, dtype=torch.bool))[None] & valid[:, None, :]
    # Routing uses the discrete code positions; Whisper frames take the text path (spec 2.1.7).
    audio = m["audio_in_discrete_codes_mask"] | m["audio_out_mask"]
    dual_layers = set(cfg.get("audio_dual_ffn_layers") or [])
    kind = cfg["audio_adapter_type"]
    for i in range(tc["num_hidden_layers"]):
        p = f"layers.{i}."
        if kind != "stack" and i in dual_layers:
            a = audio[..., None]
            h = torch.where(a, rms(x, W[p + "audio_input_layernorm.weight"], eps),
                            rms(x, W[p + "input_layernorm.weight"], eps))
            x = x + attention(W, p + "self_attn.", h, cos, sin, allowed, tc)
            t_out = mlp(W, p + "mlp.", rms(x, W[p + "post_attention_layernorm.weight"], eps))
            a_out = mlp(W, p + "audio_mlp.", rms(x, W[p + "audio_post_attention_layernorm.weight"], eps))
            x = x + torch.where(a, a_out, t_out)
        elif kind == "dual_ffn_fast_forward":
            keep = x
            ff_allowed = allowed & ~audio[:, :, None] & ~audio[:, None, :]
            h = rms(x, W[p + "input_layernorm.weight"], eps)
            x = x + attention(W, p + "self_attn.", h, cos, sin, ff_allowed, tc)
            x = x + mlp(W, p + "mlp.", rms(x, W[p + "post_attention_layernorm.weight"], eps))
            x = torch.where(audio[..., None], keep, x)
        else:
            h = rms(x, W[p + "input_layernorm.weight"], eps)
            x = x + attention(W, p + "self_attn.", h, cos, sin, allowed, tc)
            x = x + mlp(W, p + "mlp.", rms(x, W[p + "post_attention_layernorm.weight"], eps))
    x = rms(x, W["norm.weight"], eps)
    logits = F.linear(x, W["audio_decoder_proj.text_lm_head.weight"])
    K, C = cfg["audio_num_codebooks"], cfg["audio_codebook_size"] + 2
    audio_rows = x[m["audio_out_mask"]]
    audio_logits = F.linear(audio_rows, W["audio_decoder_proj.audio_lm_head.weight"]).view(-1, K, C).float()
    return logits, audio_logits, m


def losses(cfg, logits, audio_logits, m, batch):
    out = {}
    lab = m["labels"][:, 1:].reshape(-1)
    lg = logits[:, :-1].reshape(-1, logits.shape[-1]).float()
    keep = lab != IGNORE
    out["text"] = (F.cross_entropy(lg[keep], lab[keep], reduction="sum"), int(keep.sum()),
                   int((lg[keep].argmax(-1) == lab[keep]).sum()))
    la = batch.get("label_audio_ids")
    for k in range(cfg["audio_num_codebooks"]):
        if la is None or la.numel() == 0 or audio_logits.shape[0] < 2:
            out[f"audio_cb{k}"] = (torch.zeros(()), 0, 0)
            continue
        tgt = la[k, 1:]
        lg = audio_logits[:-1, k]
        keep = tgt != IGNORE
        out[f"audio_cb{k}"] = (F.cross_entropy(lg[keep], tgt[keep], reduction="sum"), int(keep.sum()),
                               int((lg[keep].argmax(-1) == tgt[keep]).sum()))
    return out


def main():
    mode = sys.argv[1]
    cfg = json.load(open(sys.argv[2]))
    if mode == "rope":
        pos = torch.load(sys.argv[3])["position_ids"]
        inv = llama3_inv_freq(text_cfg(cfg))
        c, s = cos_sin(inv, pos)
        torch.save({"inv_freq": inv, "cos": c, "sin": s}, sys.argv[4])
        return
    # The tower's embed_positions has requires_grad False in the reference.
    W = {k: v.clone().requires_grad_(not k.endswith("embed_positions.weight"))
         for k, v in torch.load(sys.argv[3]).items()}
    batch = torch.load(sys.argv[4])
    logits, audio_logits, m = forward(cfg, W, batch)
    terms = losses(cfg, logits, audio_logits, m, batch)
    total = sum(v[0] for v in terms.values())
    total.backward()
    # nn.Embedding(padding_idx=pad_token_id): the padding row receives no gradient.
    W["embed_tokens.weight"].grad[cfg["pad_token_id"]] = 0
    res = {"logits": logits.detach(), "audio_logits": audio_logits.detach()}
    for k, v in m.items():
        res["merge." + k] = v
    for name, (s, n, c) in terms.items():
        res["loss." + name] = torch.tensor([float(s), n, c], dtype=torch.float64)
    for name, w in W.items():
        if w.grad is not None:
            res["grad." + name] = w.grad
    torch.save(res, sys.argv[5])


if __name__ == "__main__":
    main()
