"""Boson's HiggsAudioSampleCollator (boson-multimodal 0.1.1) on batches of given samples, with
transformers' WhisperFeatureExtractor for the Whisper features.

    boson_collate.py SAMPLES.safetensors CASES.json OUT.safetensors

SAMPLES holds each sample's ChatMLDatasetSample tensors as "s{i}.{field}". CASES.json:
{"ids": {audio_in, audio_out, pad, bos, eos}, "n_mels": N, "cases": [{"samples": [i, ...],
"opts": {collator keyword arguments}}]}. OUT gets each batch field that is not None as
"c{j}.{field}", and with Whisper on also "c{j}.audio_features_numpy_path": the same batch with
the feature extractor's numpy path (transformers uses its float32 torch path whenever torch is
installed, as it always is with Boson's code; the two differ by up to ~3e-5 on loud 30 s windows).
"""
import json
import sys
from dataclasses import asdict
from types import SimpleNamespace

import torch
from boson_multimodal.data_collator.higgs_audio_collator import HiggsAudioSampleCollator
from boson_multimodal.dataset.chatml_dataset import ChatMLDatasetSample
from safetensors.torch import load_file, save_file
from transformers import WhisperFeatureExtractor

FIELDS = ("input_ids", "label_ids", "audio_ids_concat", "audio_ids_start", "audio_waveforms_concat",
          "audio_waveforms_start", "audio_sample_rate", "audio_speaker_indices")


def sample(tensors, i):
    # Copies: Boson's collator writes -100 into the samples' label_ids in place (at <|AUDIO_OUT|>
    # with mask_audio_out_token_label), which would leak into the next batch of the same samples.
    got = {f: (tensors[f"s{i}.{f}"].clone() if f"s{i}.{f}" in tensors else None) for f in FIELDS}
    return ChatMLDatasetSample(**got)


def main(samples_path, cases_path, out_path):
    tensors = load_file(samples_path)
    spec = json.load(open(cases_path))
    ids = spec["ids"]
    # The collator reads only whisper_processor.feature_extractor.
    processor = SimpleNamespace(feature_extractor=WhisperFeatureExtractor(feature_size=spec["n_mels"]))
    numpy_fe = WhisperFeatureExtractor(feature_size=spec["n_mels"])
    numpy_fe._torch_extract_fbank_features = numpy_fe._np_extract_fbank_features
    numpy_processor = SimpleNamespace(feature_extractor=numpy_fe)
    out = {}
    for j, case in enumerate(spec["cases"]):
        opts = dict(case["opts"])
        whisper = opts.get("encode_whisper_embed")

        def collate(proc):
            collator = HiggsAudioSampleCollator(
                whisper_processor=proc if whisper else None,
                audio_in_token_id=ids["audio_in"], audio_out_token_id=ids["audio_out"], pad_token_id=ids["pad"],
                audio_stream_bos_id=ids["bos"], audio_stream_eos_id=ids["eos"], **opts)
            return asdict(collator([sample(tensors, i) for i in case["samples"]]))

        for name, value in collate(processor).items():
            if isinstance(value, torch.Tensor):
                out[f"c{j}.{name}"] = value.contiguous()
        if whisper:
            out[f"c{j}.audio_features_numpy_path"] = collate(numpy_processor)["audio_features"].contiguous()
    save_file(out, out_path)
    print(f"boson collator: {len(spec['cases'])} batches, {len(out)} tensors")


if __name__ == "__main__":
    main(*sys.argv[1:4])
