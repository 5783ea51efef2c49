"""Boson's HiggsAudioModel (boson-multimodal 0.1.1) as the referee of the model and the loss.

    boson_model.py build CONFIG.json OUT_DIR SEED
        A HiggsAudioModel from the config with random weights (every tensor perturbed so that no
        weight keeps a trivial init), saved with save_pretrained: config.json + model.safetensors,
        the released checkpoint's layout.
    boson_model.py forward MODEL_DIR BATCH.safetensors OUT.safetensors [eager|sdpa]
        HiggsAudioModel.from_pretrained(MODEL_DIR) in fp32 on the batch (HiggsAudioBatchInput
        fields): logits, audio_logits, expanded_labels, attention_mask, audio_out_mask, and the
        shifted losses computed from those logits: text_sum/text_count (logits at j predict the
        expanded label at j+1) and audio_cb{k}_sum/_count (audio_logits[j, k] predicts
        label_audio_ids[k, j+1]).
        The last argument picks the Whisper tower's attention. Boson's model builds the tower's
        layers with the sub-config's default, eager, to which it hands a *boolean* padding mask:
        eager attention adds it to the scores (+1 on valid frames, +0 on padded ones) instead of
        masking, so padded frames of a partial window are attended. `sdpa` swaps in transformers'
        WhisperSdpaAttention (same weights), which treats the boolean mask as a mask.
    boson_model.py grads MODEL_DIR BATCH.safetensors OUT.safetensors
        Every parameter trained in full: the gradient of the mean text loss (plus the mean of the
        codebook means when the batch has audio labels) as "grad.NAME", and "none.NAME" (a 0-d
        tensor) for each parameter that gets no gradient at all, which AdamW then skips.
"""
import sys

import torch
import torch.nn.functional as F
from boson_multimodal.model.higgs_audio import HiggsAudioConfig, HiggsAudioModel
from safetensors.torch import load_file, save_file


def build(config_path, out_dir, seed):
    import json
    cfg = HiggsAudioConfig(**json.load(open(config_path)))
    torch.manual_seed(int(seed))
    model = HiggsAudioModel(cfg).float()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:  # RMSNorm / LayerNorm: away from 1 (and 0), not random in sign
                p.add_(0.2 * torch.randn_like(p))
            else:
                p.copy_(0.08 * torch.randn_like(p))
    model.save_pretrained(out_dir, safe_serialization=True)
    print(f"boson model: {sum(p.numel() for p in model.parameters())} parameters saved to {out_dir}")


def forward(model_dir, batch_path, out_path, tower_attention="eager"):
    model = HiggsAudioModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    if tower_attention == "sdpa" and model.audio_tower is not None:
        from transformers.models.whisper.modeling_whisper import WhisperSdpaAttention
        for layer in model.audio_tower.layers:
            layer.self_attn.__class__ = WhisperSdpaAttention
    batch = load_file(batch_path)
    with torch.no_grad():
        out = model(**batch, use_cache=False, return_dict=True)
    res = {"logits": out.logits.float(), "expanded_labels": out.expanded_labels,
           "attention_mask": out.attention_mask.long(), "audio_out_mask": out.audio_out_mask.long()}
    logits, labels = out.logits.float(), out.expanded_labels
    text_targets = labels[:, 1:]
    res["text_sum"] = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), text_targets.reshape(-1),
                                      ignore_index=-100, reduction="sum").reshape(1)
    res["text_count"] = (text_targets != -100).sum().reshape(1)
    if out.audio_logits is not None:
        res["audio_logits"] = out.audio_logits.float()
    if out.audio_logits is not None and "label_audio_ids" in batch:
        la = batch["label_audio_ids"]
        for k in range(out.audio_logits.shape[1]):
            target = la[k, 1:]
            res[f"audio_cb{k}_sum"] = F.cross_entropy(out.audio_logits[:-1, k].float(), target, ignore_index=-100,
                                                      reduction="sum").reshape(1)
            res[f"audio_cb{k}_count"] = (target != -100).sum().reshape(1)
    save_file({k: v.contiguous() for k, v in res.items()}, out_path)
    print(f"boson forward: logits {tuple(out.logits.shape)}, audio_logits "
          f"{None if out.audio_logits is None else tuple(out.audio_logits.shape)}")


def grads(model_dir, batch_path, out_path):
    model = HiggsAudioModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    batch = load_file(batch_path)
    out = model(**batch, use_cache=False, return_dict=True)
    logits, labels = out.logits.float(), out.expanded_labels
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
    if "label_audio_ids" in batch:
        K = out.audio_logits.shape[1]
        for k in range(K):
            loss = loss + F.cross_entropy(out.audio_logits[:-1, k], batch["label_audio_ids"][k, 1:],
                                          ignore_index=-100) / K
    loss.backward()
    res = {"loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        if p.grad is None:
            res["none." + name] = torch.zeros(())
        else:
            res["grad." + name] = p.grad
    save_file({k: v.contiguous() for k, v in res.items()}, out_path)
    print(f"boson grads: {sum(k.startswith('grad.') for k in res)} with a gradient, "
          f"{sum(k.startswith('none.') for k in res)} without")


if __name__ == "__main__":
    {"build": build, "forward": forward, "grads": grads}[sys.argv[1]](*sys.argv[2:])
