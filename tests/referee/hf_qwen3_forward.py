#!/usr/bin/env python3
"""transformers' Qwen3 (the decoder of Higgs Audio v3) on a tiny random config, as the referee of
our Qwen3 layer: writes the config, the decoder's weights (layers.* and norm.weight, fp32), random
input embeddings, position ids and transformers' last hidden state (after the final norm).

    hf_qwen3_forward.py OUT_DIR

head_dim is given explicitly and differs from hidden / heads, as in the released v3 config; GQA
4 query heads over 2 key heads; rope_theta 1e6.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import Qwen3Config, Qwen3Model


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(3)
    cfg = Qwen3Config(hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, head_dim=24, rms_norm_eps=1e-6, rope_theta=1e6,
                      max_position_embeddings=256, vocab_size=128, attention_bias=False,
                      tie_word_embeddings=True)
    cfg._attn_implementation = "eager"
    model = Qwen3Model(cfg).eval().float()
    with torch.no_grad():  # weights well away from the init's small values, norms not all 1
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if p.dim() > 1 else 0.2) + (1.0 if p.dim() == 1 else 0.0))
    x = torch.randn(2, 11, 64)
    pos = torch.arange(11).unsqueeze(0).repeat(2, 1) + torch.tensor([[0], [5]])
    with torch.no_grad():
        y = model(inputs_embeds=x, position_ids=pos).last_hidden_state
    weights = {k: v.contiguous() for k, v in model.state_dict().items() if not k.startswith("embed_tokens")}
    save_file(weights, os.path.join(out, "qwen3.safetensors"))
    save_file({"inputs_embeds": x, "position_ids": pos, "last_hidden_state": y.contiguous()},
              os.path.join(out, "io.safetensors"))
    json.dump(cfg.to_dict(), open(os.path.join(out, "config.json"), "w"), default=str)
    print("qwen3:", len(weights), "tensors, output", tuple(y.shape))


if __name__ == "__main__":
    main(sys.argv[1])
