"""Independent computation of the HiggsAudioSampleCollator output (spec 3.4/3.5, Whisper off)
for tests/unit/collators/higgs_audio_collator_python_test.cpp.

argv[1]: JSON list of {"ids": {...}, "opts": {...}, "samples": [{"input_ids", "label_ids" (or null),
"codes" (K rows), "starts"}]}. Prints, per case, every batch field as {"shape": [...], "data": flat list},
null for a field the reference returns as None.
"""
import json
import sys

import torch


def run(spec):
    ids, opts, samples = spec["ids"], spec["opts"], spec["samples"]
    A_IN, A_OUT, PAD = ids["audio_in"], ids["audio_out"], ids["pad"]
    BOS, EOS, NCB = ids["bos"], ids["eos"], opts["num_codebooks"]

    def delay(x, bos, pad):
        k, t = x.shape
        out = torch.full((k, t + k - 1), pad, dtype=torch.long)
        for i in range(k):
            out[i, :i] = bos
            out[i, i:i + t] = x[i]
        return out

    def transform(c, first, fill_bos, fill_pad):
        x = torch.cat([torch.full((c.shape[0], 1), first), c, torch.full((c.shape[0], 1), EOS)], 1)
        return delay(x, fill_bos, fill_pad) if opts["delay"] else x


    in_parts, out_parts, lab_parts, group = [], [], [], []
    labels_on = samples[0]["label_ids"] is not None
    inputs, labels = [], []
    for i, s in enumerate(samples):
        inp = torch.tensor(s["input_ids"], dtype=torch.long)
        lab = torch.tensor(s["label_ids"], dtype=torch.long) if labels_on else None
        codes = torch.tensor(s["codes"], dtype=torch.long).reshape(len(s["codes"]), -1)
        starts = s["starts"] + [codes.shape[1]]
        k = 0
        for pos in range(len(inp)):
            if inp[pos] not in (A_IN, A_OUT):
                continue
            c = codes[:NCB, starts[k]:starts[k + 1]]
            k += 1
            if inp[pos] == A_IN:
                if opts["return_in"]:
                    in_parts.append(transform(c, BOS, BOS, EOS))
                continue
            out_parts.append(transform(c, BOS, BOS, EOS))
            if labels_on:
                l = transform(c, -100, -100, -100)
                if lab[pos] < 0:
                    l[:] = -100
                lab_parts.append(l)
                if opts["mask_out"]:
                    lab[pos] = -100
        group.append(i)
        inputs.append(inp)
        labels.append(lab)

    r = opts["round_to"]
    L = (max(len(x) for x in inputs) + r - 1) // r * r
    B = len(inputs)
    input_ids = torch.full((B, L), PAD, dtype=torch.long)
    attn = torch.zeros((B, L), dtype=torch.long)
    label_ids = torch.full((B, L), -100, dtype=torch.long)
    for b, x in enumerate(inputs):
        sl = slice(L - len(x), L) if opts["pad_left"] else slice(0, len(x))
        input_ids[b, sl] = x
        attn[b, sl] = 1
        if labels_on:
            label_ids[b, sl] = labels[b]

    def cat(parts):
        return torch.cat(parts, 1) if parts else torch.zeros((0, 0), dtype=torch.long)

    def starts_of(parts):
        out, o = [], 0
        for p in parts:
            out.append(o)
            o += p.shape[1]
        return torch.tensor(out, dtype=torch.long)

    def enc(t):
        return None if t is None else {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


    res = {
        "input_ids": enc(input_ids),
        "attention_mask": enc(attn),
        "label_ids": enc(label_ids if labels_on else None),
        "audio_out_ids": enc(cat(out_parts)),
        "audio_out_ids_start": enc(starts_of(out_parts)),
        "audio_out_ids_start_group_loc": enc(torch.tensor(group) if out_parts else None),
        "label_audio_ids": enc(cat(lab_parts) if labels_on else None),
        "audio_in_ids": enc(cat(in_parts) if opts["return_in"] else None),
        "audio_in_ids_start": enc(starts_of(in_parts) if opts["return_in"] else None),
    }
    return res


print(json.dumps([run(spec) for spec in json.load(open(sys.argv[1]))]))
