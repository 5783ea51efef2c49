"""peft's LoRA on Boson's HiggsAudioModel: gradients of the training loss and one AdamW step.

    boson_lora.py MODEL_DIR BATCH.safetensors LORA.safetensors SPEC.json OUT.safetensors

LORA holds the initial lora_A/lora_B under higgs-train's names (layers.0.self_attn.q_proj.lora_A.weight);
SPEC: {"r", "alpha", "target_modules", "lr", "betas", "eps", "weight_decay"}. The loss is the
shifted text cross-entropy mean plus the mean over codebooks of each codebook's shifted
cross-entropy mean (higgs-train's reduction "mean"). OUT: "grad.NAME" for every LoRA tensor, and
"step.NAME" its value after one torch.optim.AdamW step.
"""
import json
import sys

import torch
import torch.nn.functional as F
from boson_multimodal.model.higgs_audio import HiggsAudioModel
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file, save_file


def peft_name(ours):
    # layers.0.self_attn.q_proj.lora_A.weight -> base_model.model.layers.0.self_attn.q_proj.lora_A.default.weight
    stem, ab, _ = ours.rsplit(".", 2)
    return f"base_model.model.{stem}.{ab}.default.weight"


def main(model_dir, batch_path, lora_path, spec_path, out_path):
    spec = json.load(open(spec_path))
    model = HiggsAudioModel.from_pretrained(model_dir, torch_dtype=torch.float32)
    config = LoraConfig(r=spec["r"], lora_alpha=spec["alpha"], target_modules=spec["target_modules"],
                        lora_dropout=0.0, bias="none")
    model = get_peft_model(model, config).eval()  # no dropout anywhere
    init = load_file(lora_path)
    params = dict(model.named_parameters())
    lora = {n: p for n, p in params.items() if ".lora_" in n}
    ours_by_peft = {peft_name(n): n for n in init}
    if set(ours_by_peft) != set(lora):
        sys.exit(f"LoRA tensors differ: only ours {sorted(set(ours_by_peft) - set(lora))}, "
                 f"only peft's {sorted(set(lora) - set(ours_by_peft))}")
    with torch.no_grad():
        for pn, n in ours_by_peft.items():
            lora[pn].copy_(init[n])
    batch = load_file(batch_path)
    out = model(**batch, use_cache=False, return_dict=True)
    logits, labels = out.logits.float(), out.expanded_labels
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
    K = out.audio_logits.shape[1]
    la = batch["label_audio_ids"]
    for k in range(K):
        loss = loss + F.cross_entropy(out.audio_logits[:-1, k].float(), la[k, 1:], ignore_index=-100) / K
    loss.backward()
    res = {"loss": loss.detach().reshape(1)}
    for pn, n in ours_by_peft.items():
        res["grad." + n] = lora[pn].grad.detach().clone()
    opt = torch.optim.AdamW([lora[pn] for pn in ours_by_peft], lr=spec["lr"], betas=tuple(spec["betas"]),
                            eps=spec["eps"], weight_decay=spec["weight_decay"])
    opt.step()
    for pn, n in ours_by_peft.items():
        res["step." + n] = lora[pn].detach().clone()
    save_file({k: v.contiguous() for k, v in res.items()}, out_path)
    print(f"peft lora: {len(lora)} tensors, loss {loss.item():.6f}")


if __name__ == "__main__":
    main(*sys.argv[1:6])
