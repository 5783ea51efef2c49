"""The Transformers port of Higgs Audio v2 (transformers 5.24.0, HiggsAudioV2ForConditionalGeneration)
on an expanded sequence, as the referee of the higgs_audio_v2 checkpoint layout.

    hf_port_forward.py PORT_DIR INPUT.safetensors OUT.safetensors

INPUT: "input_ids" (1, T) already expanded (every audio position is audio_token_id),
"audio_input_ids" (1, n, K) the codes of the n audio positions in sequence order. OUT:
"text_logits" (T, vocab) = text_lm_head on the last hidden state (the port's forward returns only
the audio head), "audio_logits" (T, K * codebook_size) = the port's forward logits.
"""
import sys

import torch
from safetensors.torch import load_file, save_file
from transformers import HiggsAudioV2ForConditionalGeneration


def main(port_dir, input_path, out_path):
    model = HiggsAudioV2ForConditionalGeneration.from_pretrained(port_dir, use_text_head=True,
                                                                 dtype=torch.float32).eval()
    x = load_file(input_path)
    codes = x["audio_input_ids"]
    mask = torch.ones(codes.shape[:2], dtype=torch.bool)
    with torch.no_grad():
        out = model(input_ids=x["input_ids"], audio_input_ids=codes, audio_input_ids_mask=mask)
        hidden = model.model(input_ids=x["input_ids"], audio_input_ids=codes, audio_input_ids_mask=mask).last_hidden_state
        text = model.text_lm_head(hidden)
    save_file({"text_logits": text[0].contiguous(), "audio_logits": out.logits[0].float().contiguous()}, out_path)
    print(f"transformers port: logits {tuple(out.logits.shape)}, text {tuple(text.shape)}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
