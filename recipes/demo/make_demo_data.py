#!/usr/bin/env python3
"""Makes the embedded demo's data: a small multi-speaker zero-shot voice-cloning set.

Each espeak-ng voice is a speaker. Every sample pairs a reference utterance of a speaker (with its
transcript) and a target utterance of the same speaker, in the ChatML layout that inference uses
(system, user reference text, assistant reference audio, user target text, assistant target
audio, start_index on the final assistant turn). Audio is written at mixed sample rates and in
mixed formats (WAV, FLAC, OGG/Vorbis, MP3, stereo WAV) to exercise the loader. A sentencepiece
model is trained on the text with the Higgs special tokens as user-defined symbols. Besides the
English speakers, --german-speakers voices speak German (espeak-ng's "de"), so the data has two
languages: every sample names its own ("language": "en" or "de"), which data-check counts and
evaluation reports apart (eval/language/de/loss).

    recipes/demo/make_demo_data.py OUT_DIR [--speakers 6] [--per-speaker 12] [--german-speakers 1]

Needs espeak-ng, sox (with libsox-fmt-all) and spm_train (scripts/setup.sh installs them).
Deterministic: the same arguments give the same files.
"""
import argparse
import json
import os
import random
import subprocess
import sys

VOICES = ["en-us", "en-us+f3", "en-gb", "en-gb-scotland+f2", "en-029+m3", "en-us-nyc+f4",
          "en-gb-x-rp+m5", "en-us+klatt"]
# (extension, sample rate, channels) cycled over the utterances.
FORMATS = [("wav", 22050, 1), ("flac", 22050, 1), ("wav", 44100, 2), ("ogg", 48000, 1),
           ("mp3", 48000, 1), ("wav", 24000, 1), ("wav", 16000, 1)]
SUBJECTS = ["the quick fox", "a small robot", "my old neighbour", "the brave captain",
            "our little dog", "the clever student", "a tired farmer", "the happy baker",
            "the silent river", "a curious child", "the morning train", "an honest judge"]
VERBS = ["jumps over", "looks at", "talks to", "walks past", "waits for", "dreams about",
         "writes to", "smiles at", "runs after", "sings for"]
OBJECTS = ["the lazy dog", "a red balloon", "the open window", "a quiet garden", "the tall tower",
           "a wooden boat", "the bright moon", "a green apple", "the busy market", "a warm fire"]
ENDINGS = ["today.", "every morning.", "in the rain.", "before dinner.", "at noon.",
           "without a word.", "once again.", "near the sea."]
GERMAN_VOICES = ["de", "de+f3", "de+m3"]
GERMAN = {
    "subjects": ["der schnelle Fuchs", "ein kleiner Roboter", "mein alter Nachbar", "die mutige Kapitänin",
                 "unser kleiner Hund", "die kluge Studentin", "ein müder Bauer", "der fröhliche Bäcker"],
    "verbs": ["springt über", "schaut auf", "spricht mit", "läuft an", "wartet auf", "träumt von"],
    "objects": ["den faulen Hund", "einen roten Ballon", "das offene Fenster", "einen stillen Garten",
                "den hohen Turm", "ein hölzernes Boot", "den hellen Mond", "einen grünen Apfel"],
    "endings": ["heute.", "jeden Morgen.", "im Regen.", "vor dem Abendessen.", "am Mittag.",
                "ohne ein Wort.", "noch einmal.", "am Meer."],
}
SPECIAL_TOKENS = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eom_id|>", "<|eot_id|>", "<|audio_bos|>", "<|audio_eos|>", "<|audio_out_bos|>",
    "<|AUDIO|>", "<|AUDIO_OUT|>", "<|recipient|>", "<|scene_desc_start|>", "<|scene_desc_end|>",
    "<|reserved_special_token_6|>",
]
SYSTEM = ("Generate audio following instruction.\n\n<|scene_desc_start|>\n"
          "Audio is recorded from a quiet room.\n<|scene_desc_end|>")


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def sentence(rng, language="en"):
    if language == "de":
        w = GERMAN
        subject = rng.choice(w["subjects"])
        return (f"{subject[0].upper() + subject[1:]} {rng.choice(w['verbs'])} {rng.choice(w['objects'])} "
                f"{rng.choice(w['endings'])}")
    return (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(ENDINGS)}")


def speak(text, voice, path, fmt_index, speed):
    ext, rate, channels = FORMATS[fmt_index % len(FORMATS)]
    raw = path + ".raw.wav"
    run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", raw, text])
    out = f"{path}.{ext}"
    run(["sox", raw, "-r", str(rate), "-c", str(channels), out])
    os.remove(raw)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--speakers", type=int, default=6)
    ap.add_argument("--per-speaker", type=int, default=12)
    ap.add_argument("--eval-per-speaker", type=int, default=2)
    ap.add_argument("--vocab-size", type=int, default=320)
    ap.add_argument("--german-speakers", type=int, default=1,
                    help="German voices besides the English ones (a second language)")
    args = ap.parse_args()
    if args.speakers > len(VOICES):
        sys.exit(f"at most {len(VOICES)} speakers")
    if args.german_speakers > len(GERMAN_VOICES):
        sys.exit(f"at most {len(GERMAN_VOICES)} German speakers")
    speakers = [(VOICES[s], "en") for s in range(args.speakers)] + \
               [(GERMAN_VOICES[g], "de") for g in range(args.german_speakers)]
    rng = random.Random(1234)
    audio_dir = os.path.join(args.out, "audio")
    os.makedirs(audio_dir, exist_ok=True)
    texts = []
    splits = {"train": [], "eval": []}
    n_utt = args.per_speaker + args.eval_per_speaker + 1
    k = 0
    for s, (voice, language) in enumerate(speakers):
        speed = 150 + 10 * (s % 3)
        utts = []
        for u in range(n_utt):
            text = sentence(rng, language)
            path = speak(text, voice, os.path.join(audio_dir, f"spk{s}_{u:02d}"), k, speed)
            k += 1
            utts.append((os.path.relpath(path, args.out), text))
            texts.append(text)
        ref_path, ref_text = utts[0]
        for u in range(1, n_utt):
            tgt_path, tgt_text = utts[u]
            sample = {
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": ref_text},
                    {"role": "assistant", "content": {"type": "audio", "audio_url": ref_path}},
                    {"role": "user", "content": tgt_text},
                    {"role": "assistant", "content": {"type": "audio", "audio_url": tgt_path}},
                ],
                "start_index": 4,
                "speaker": f"spk{s}",
                "language": language,
                "misc": {"voice": voice},
            }
            split = "eval" if u > args.per_speaker else "train"
            splits[split].append(sample)
    for split, samples in splits.items():
        with open(os.path.join(args.out, f"{split}.jsonl"), "w") as f:
            for sm in samples:
                f.write(json.dumps(sm) + "\n")
        # Each language apart too (train_en.jsonl, train_de.jsonl): datasets a recipe can mix.
        for language in sorted({lang for _, lang in speakers}):
            with open(os.path.join(args.out, f"{split}_{language}.jsonl"), "w") as f:
                for sm in samples:
                    if sm["language"] == language:
                        f.write(json.dumps(sm) + "\n")
    # Text for the tokenizer: transcripts plus the fixed prompt pieces, many times over.
    corpus = os.path.join(args.out, "text_corpus.txt")
    with open(corpus, "w") as f:
        for _ in range(20):
            for t in texts + ["Generate audio following instruction.", "Audio is recorded from a quiet room.",
                              "system", "user", "assistant"]:
                f.write(t + "\n")
    prefix = os.path.join(args.out, "spm")
    run(["spm_train", f"--input={corpus}", f"--model_prefix={prefix}", f"--vocab_size={args.vocab_size}",
         "--model_type=bpe", "--character_coverage=1.0", "--bos_id=-1", "--eos_id=-1",
         "--user_defined_symbols=" + ",".join(SPECIAL_TOKENS), "--minloglevel=2",
         "--allow_whitespace_only_pieces=true", "--split_digits=true", "--add_dummy_prefix=false",
         "--normalization_rule_name=identity", "--remove_extra_whitespaces=false", "--byte_fallback=true"])
    ids = {}
    for tok in SPECIAL_TOKENS:
        out = subprocess.run(["spm_encode", f"--model={prefix}.model", "--output_format=id"],
                             input=tok, capture_output=True, text=True, check=True).stdout.split()
        if len(out) != 1:
            sys.exit(f"special token {tok} is not a single piece: {out}")
        ids[tok] = int(out[0])
    with open(os.path.join(args.out, "special_tokens.json"), "w") as f:
        json.dump(ids, f, indent=2)
    print(f"wrote {len(splits['train'])} train and {len(splits['eval'])} eval samples, "
          f"{k} audio files and a {args.vocab_size}-piece sentencepiece model to {args.out}")


if __name__ == "__main__":
    main()
