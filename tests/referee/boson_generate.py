"""Boson's HiggsAudioModel.generate (boson-multimodal 0.1.1, transformers 4.46.3) as the referee of generation.

    boson_generate.py MODEL_DIR TOKENIZER_JSON PROMPT.json OUT.json

PROMPT.json: {"input_ids": [...], "max_new_tokens": N, "do_sample": bool, "temperature": t, "top_k": k, "top_p": p,
"ras_win_len": w (null or <= 0: off), "ras_win_max_num_repeat": r, "seed": s (null: torch's global RNG),
"force_audio": bool (append <|audio_out_bos|> as HiggsAudioServeEngine's force_audio_gen does)} and optionally
"audio_in_ids"/"audio_out_ids" ([codebook][column], already in model-input layout, i.e. delayed with bos/eos for
audio-out) with "audio_in_ids_start"/"audio_out_ids_start", "kv_cache_lengths" (StaticCache buckets as the serve
engine uses; default a DynamicCache), "stop_at_audio_eos" (stop once <|audio_eos|> is emitted instead of going on in
text mode) and "suppress_stream_eos" (mask the stream-eos code in the audio logits so audio runs to max_new_tokens).
The last two are not Boson options: they use generate's stopping_criteria / logits_processor hooks.

Semantics found in Boson's _sample. Every step is one forward with the KV cache and one new token. Text mode: sample
the text logits (argmax, or multinomial after temperature -> top_k -> top_p warpers, which transformers adds only
when do_sample). When the last input token is <|audio_out_bos|> (audio init), the text logits are discarded: the
step emits <|AUDIO_OUT|> and an all-stream-bos column. While the last input token is <|AUDIO_OUT|> (audio mode) the
step feeds the last audio column (embedded, summed over codebooks) and picks codes from audio_logits[-1] ([C, V+2]),
the same argmax/warpers; then RAS: rows whose pick occurs >= ras_win_max_num_repeat times in the last ras_win_len
columns of audio_out_ids (bos column and any prompt audio-out included) are re-drawn from softmax(raw logits) (no
temperature/top-k/top-p, even when do_sample is false). Then the delay pattern: while num_delay + 1 < C,
codebooks [num_delay+1:] become stream-bos and num_delay += 1 (so sampled column j has j real codebooks). In
ramp-out (num_remaining set) codebooks [:C - num_remaining] are forced to stream-eos and num_remaining -= 1;
otherwise, if any codebook picked stream-eos, i = the *smallest* such index (the code names it last_eos_idx but
takes nonzero()[0][-1]): codebooks [:i] become eos, num_remaining = C - i - 1. When num_remaining <= 0 the step's
text token is <|audio_eos|> (else <|AUDIO_OUT|>): that last column has codebooks [:C-1] eos and codebook C-1 as
picked, and is never fed back; the next step is text mode fed <|audio_eos|>, which may emit <|audio_out_bos|>
again (a new segment). Generation stops only on the stop strings "<|end_of_text|>"/"<|eot_id|>" (the serve
engine's default; eos_token_id is cleared here, a random model's generation_config says 2) or after max_new_tokens
steps (every step counts: the audio-init step and each audio column too). All draws are
torch.multinomial(..., generator=torch.Generator().manual_seed(seed)): one [C, V+2] draw per audio step plus one
[n_rep, V+2] RAS draw (n_rep = 0 draws nothing), one [1, vocab] draw per sampled text step; greedy audio consumes
random numbers only in RAS. torch's multinomial with one sample is argmax(p / Exponential(1)) with C*(V+2) draws.
"""
import json
import sys
import time

import torch
from boson_multimodal.model.higgs_audio import HiggsAudioModel
from boson_multimodal.model.higgs_audio.utils import revert_delay_pattern
from transformers import LogitsProcessor, LogitsProcessorList, PreTrainedTokenizerFast, StoppingCriteria
from transformers.cache_utils import StaticCache

STOP_STRINGS = ["<|end_of_text|>", "<|eot_id|>"]  # HiggsAudioServeEngine.generate's default


class SuppressStreamEos(LogitsProcessor):
    """Boson calls the processors with input_ids None on audio logits; in place so RAS's raw logits see it too."""

    def __init__(self, eos_id):
        self.eos_id = eos_id

    def __call__(self, input_ids, scores):
        if input_ids is None:
            scores[:, self.eos_id] = float("-inf")
        return scores


class StopAtToken(StoppingCriteria):
    def __init__(self, token_id):
        self.token_id = token_id

    def __call__(self, input_ids, scores, **kwargs):
        return input_ids[:, -1] == self.token_id


def main(model_dir, tokenizer_json, prompt_path, out_path):
    p = json.load(open(prompt_path))
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    model = HiggsAudioModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    model.set_audio_special_tokens(tok)  # as the serve engine does: bos/eos ids from the tokenizer
    cfg = model.config
    ids = list(p["input_ids"])
    if p.get("force_audio") and ids[-1] != model.audio_out_bos_token_id:
        ids.append(model.audio_out_bos_token_id)
    inputs = {"input_ids": torch.tensor([ids], dtype=torch.long)}
    for k in ("audio_in_ids", "audio_out_ids"):
        if p.get(k):
            inputs[k] = torch.tensor(p[k], dtype=torch.long)
            inputs[k + "_start"] = torch.tensor(p.get(k + "_start", [0]), dtype=torch.long)
    kv_buckets = None
    if p.get("kv_cache_lengths"):  # the serve engine's StaticCache buckets (layers + dual-FFN layers)
        cc = cfg.text_config.__class__(**cfg.text_config.to_dict())
        cc.num_hidden_layers += len(cfg.audio_dual_ffn_layers or [])
        kv_buckets = {n: StaticCache(config=cc, max_batch_size=1, max_cache_len=n, device="cpu", dtype=torch.float32)
                      for n in sorted(p["kv_cache_lengths"])}
    ras = p.get("ras_win_len")
    stops = [StopAtToken(model.audio_eos_token_id)] if p.get("stop_at_audio_eos") else []
    procs = [SuppressStreamEos(cfg.audio_stream_eos_id)] if p.get("suppress_stream_eos") else []
    t0 = time.time()
    out_ids, segments = model.generate(
        **inputs, max_new_tokens=int(p["max_new_tokens"]), use_cache=True, stop_strings=STOP_STRINGS,
        tokenizer=tok, eos_token_id=None, do_sample=bool(p.get("do_sample", False)),
        temperature=p.get("temperature", 1.0), top_k=p.get("top_k"), top_p=p.get("top_p", 1.0),
        ras_win_len=ras if ras and ras > 0 else None, ras_win_max_num_repeat=p.get("ras_win_max_num_repeat", 2),
        seed=p.get("seed"), past_key_values_buckets=kv_buckets,
        stopping_criteria=stops, logits_processor=LogitsProcessorList(procs))
    seconds = time.time() - t0
    text_ids = out_ids[0, len(ids):].tolist()  # one <|AUDIO_OUT|> per segment, then <|audio_eos|> if it ended
    last = out_ids[0, -1].item()
    stop_ids = {tok.convert_tokens_to_ids(s): s.strip("<|>") for s in STOP_STRINGS}
    stopped_by = stop_ids.get(last) or ("audio_eos" if stops and last == model.audio_eos_token_id else "length")
    segs, num_ended = [], text_ids.count(model.audio_eos_token_id)
    for s, raw in enumerate(segments):  # raw [C, columns]: stream-bos column, ramp-in, frames, ramp-out
        ended = s < num_ended  # the ramp-out's last column has codebooks [:C-1] eos, the last one sampled
        reverted = revert_delay_pattern(raw)[:, 1:-1] if raw.shape[1] >= raw.shape[0] + 1 else raw[:, :0]
        segs.append({"audio_codes": raw.tolist(), "audio_codes_reverted": reverted.tolist(),  # = serve engine's
                     "num_frames": reverted.shape[1], "num_audio_steps": raw.shape[1] - 1, "ended": ended})
    first = segs[0] if segs else {"audio_codes": [], "audio_codes_reverted": [], "num_frames": 0, "ended": False}
    res = {"prompt_ids": ids, "text_ids": text_ids, "stopped_by": stopped_by, "num_audio_segments": len(segs),
           **first, "audio_segments": segs, "seconds": round(seconds, 3)}
    json.dump(res, open(out_path, "w"))
    print(f"boson generate: {len(text_ids)} text ids, {len(segs)} audio segment(s), frames "
          f"{[s['num_frames'] for s in segs]}, stopped by {stopped_by}, {seconds:.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:5])
