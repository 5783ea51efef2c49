#!/usr/bin/python3
"""Peer of bench/train_step.cpp: the same bench config and batch shape through the eager PyTorch
reference (tests/python/higgs_reference.py), forward + backward per step.

usage: /usr/bin/python3 bench/python/train_step_peer.py [--threads N] [--steps N] [--batch B]
                                                       [--frames T] [--dtype float32|bfloat16]
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "python"))
import higgs_reference as ref  # noqa: E402

CONFIG = {
    "audio_adapter_type": "dual_ffn_fast_forward", "audio_dual_ffn_layers": [0, 1, 2, 3],
    "audio_num_codebooks": 8, "audio_codebook_size": 1024, "audio_in_token_idx": 8000,
    "audio_out_token_idx": 8001, "pad_token_id": 8002, "encode_audio_in_tokens": True,
    "skip_audio_tower": True,
    "text_config": {"hidden_size": 512, "num_hidden_layers": 4, "num_attention_heads": 8,
                    "num_key_value_heads": 4, "head_dim": 64, "intermediate_size": 1536,
                    "rms_norm_eps": 1e-5, "vocab_size": 8192, "rope_theta": 500000.0,
                    "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 8192}},
}


def weights(dtype):
    tc = CONFIG["text_config"]
    h, i, v = tc["hidden_size"], tc["intermediate_size"], tc["vocab_size"]
    q, kv = tc["num_attention_heads"] * tc["head_dim"], tc["num_key_value_heads"] * tc["head_dim"]
    rows = 8 * 1026
    shapes = {"embed_tokens.weight": (v, h), "norm.weight": (h,),
              "audio_codebook_embeddings.weight": (rows, h),
              "audio_decoder_proj.text_lm_head.weight": (v, h),
              "audio_decoder_proj.audio_lm_head.weight": (rows, h)}
    for n in range(tc["num_hidden_layers"]):
        p = f"layers.{n}."
        shapes.update({p + "self_attn.q_proj.weight": (q, h), p + "self_attn.k_proj.weight": (kv, h),
                       p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, q)})
        for m in ("mlp.", "audio_mlp."):
            shapes.update({p + m + "gate_proj.weight": (i, h), p + m + "up_proj.weight": (i, h),
                           p + m + "down_proj.weight": (h, i)})
        for ln in ("input_layernorm", "post_attention_layernorm", "audio_input_layernorm",
                   "audio_post_attention_layernorm"):
            shapes[p + ln + ".weight"] = (h,)
    return {k: (torch.ones(s) if len(s) == 1 else torch.randn(s) * 0.02).to(dtype).requires_grad_(True)
            for k, s in shapes.items()}


def batch(bsz, frames):
    text = 40
    row = list(range(100, 100 + text // 2)) + [8001] + list(range(200, 200 + text // 2)) + [8001]
    ids = torch.tensor([row] * bsz)
    labels = torch.full_like(ids, -100)
    labels[:, text // 2 + 1:text + 1] = ids[:, text // 2 + 1:text + 1]
    codes = torch.randint(0, 1026, (8, 2 * frames * bsz))
    la = codes.clone()
    for i in range(0, 2 * bsz, 2):
        la[:, i * frames:(i + 1) * frames] = -100
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "label_ids": labels,
            "audio_out_ids": codes, "audio_out_ids_start": torch.arange(2 * bsz) * frames,
            "label_audio_ids": la}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--dtype", default="float32")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    W = weights(torch.bfloat16 if a.dtype == "bfloat16" else torch.float32)
    b = batch(a.batch, a.frames)
    times = []
    for s in range(a.steps + 1):
        for w in W.values():
            w.grad = None
        t0 = time.perf_counter()
        logits, audio_logits, m = ref.forward(CONFIG, W, b)
        terms = ref.losses(CONFIG, logits, audio_logits, m, b)
        loss = sum(v[0] / max(v[1], 1) for v in terms.values())
        loss.backward()
        if s:
            times.append(time.perf_counter() - t0)
    tokens = int(m["attention_mask"].sum())
    best = min(times)
    print(f"python reference train step ({a.dtype}, {a.threads} threads): batch {a.batch} x "
          f"{m['attention_mask'].shape[1]} positions, {tokens} tokens")
    print(f"  step: best {best:.4f} s, mean {sum(times) / len(times):.4f} s -> "
          f"{tokens / best:.1f} tokens/s")


if __name__ == "__main__":
    main()
