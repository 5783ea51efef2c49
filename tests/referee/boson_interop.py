"""Our outputs opened by the Python ecosystem: a run's PEFT adapter loaded with
PeftModel.from_pretrained onto Boson's HiggsAudioModel, and our merged export loaded with
HiggsAudioModel.from_pretrained, each evaluated on a batch from `higgs-run dump-batch`.

    boson_interop.py BASE_DIR ADAPTER_DIR MERGED_DIR BATCH.safetensors OUT.json

OUT: {"peft": {...}, "merged": {...}, "logits_max_diff": d}, each with text_loss (shifted text
cross-entropy mean), audio_loss (mean over codebooks of each codebook's shifted cross-entropy
mean) and loss (their sum): higgs-train's loss with its default weights and "mean" reduction.
"""
import json
import sys

import torch
import torch.nn.functional as F
from boson_multimodal.model.higgs_audio import HiggsAudioModel
from peft import PeftModel
from safetensors.torch import load_file


def losses(model, batch):
    with torch.no_grad():
        out = model(**batch, use_cache=False, return_dict=True)
    logits, labels = out.logits.float(), out.expanded_labels
    text = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
    la = batch["label_audio_ids"]
    K = out.audio_logits.shape[1]
    audio = sum(F.cross_entropy(out.audio_logits[:-1, k].float(), la[k, 1:], ignore_index=-100) for k in range(K)) / K
    return {"text_loss": text.item(), "audio_loss": audio.item(), "loss": (text + audio).item()}, logits


def main(base_dir, adapter_dir, merged_dir, batch_path, out_path):
    batch = {k: v for k, v in load_file(batch_path).items() if k != "reward"}
    base = HiggsAudioModel.from_pretrained(base_dir, torch_dtype=torch.float32)
    peft_model = PeftModel.from_pretrained(base, adapter_dir).eval()
    peft_losses, peft_logits = losses(peft_model, batch)
    merged = HiggsAudioModel.from_pretrained(merged_dir, torch_dtype=torch.float32).eval()
    merged_losses, merged_logits = losses(merged, batch)
    res = {"peft": peft_losses, "merged": merged_losses,
           "logits_max_diff": (peft_logits - merged_logits).abs().max().item(),
           "logits_max_abs": merged_logits.abs().max().item()}
    json.dump(res, open(out_path, "w"))
    print("boson interop:", json.dumps(res))


if __name__ == "__main__":
    main(*sys.argv[1:6])
