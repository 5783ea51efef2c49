#!/usr/bin/env python3
"""Writes the config.json of the demo's tiny Higgs Audio model: the released architecture
(Llama backbone, DualFFN in every layer, 8 codebooks, delay pattern) at toy size, with the special
token ids of the demo's sentencepiece model.

    recipes/demo/make_tiny_model_config.py BASE_CONFIG SPECIAL_TOKENS_JSON VOCAB_SIZE CODEBOOK_SIZE OUT
"""
import json
import sys

base, special, vocab, codebook_size, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cfg = json.load(open(base))
ids = json.load(open(special))
t = cfg["text_config"]
t.update(hidden_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=32,
         intermediate_size=384, vocab_size=vocab, max_position_embeddings=4096,
         bos_token_id=ids["<|begin_of_text|>"], eos_token_id=ids["<|end_of_text|>"], pad_token_id=None)
t["_name_or_path"] = "higgs-train demo (random)"
cfg.update(
    _name_or_path="higgs-train tiny demo model", hidden_size=128, audio_dual_ffn_layers=[0, 1],
    audio_codebook_size=codebook_size, audio_stream_bos_id=codebook_size,
    audio_stream_eos_id=codebook_size + 1, audio_num_codebooks=8,
    audio_in_token_idx=ids["<|AUDIO|>"], audio_out_token_idx=ids["<|AUDIO_OUT|>"],
    audio_out_bos_token_id=ids["<|audio_out_bos|>"], audio_eos_token_id=ids["<|audio_eos|>"],
    pad_token_id=ids["<|end_of_text|>"], torch_dtype="float32")
cfg["audio_encoder_config"]["pad_token_id"] = ids["<|end_of_text|>"]
with open(out, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
print(f"wrote {out}")
