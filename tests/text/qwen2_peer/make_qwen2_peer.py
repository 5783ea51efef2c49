#!/usr/bin/env python3
"""Makes what the byte_level_bpe Qwen test compares against, with Hugging Face `tokenizers` (the
peer): a Qwen2-style tokenizer.json trained here on a multilingual corpus (NFC normalizer, the
Qwen2 split regex, ByteLevel without its regex, BPE, Qwen's special tokens and Higgs Audio v3's
prompt and control tags as added tokens), the corpus itself (one JSON string per line, some lines
in decomposed NFD form) and the peer's ids of every line.

    python make_qwen2_peer.py OUT_DIR

Writes OUT_DIR/tokenizer.json, corpus.jsonl, peer.json. Deterministic. Nothing is downloaded: the
released Qwen3 tokenizer is not on PyPI, so the test checks the reader on a file of the same
structure (see docs/higgs-v3.md).
"""
import json
import os
import random
import sys
import unicodedata

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                 r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SENTENCES = {
    "en": ["The quick brown fox jumps over the lazy dog.", "Please call Stella tomorrow at 7:30."],
    "zh": ["今天天气很好，我们去公园散步吧。", "请把这份文件发给我，谢谢！"],
    "ko": ["안녕하세요, 오늘 날씨가 정말 좋네요.", "내일 아침 일곱 시에 만나요."],
    "de": ["Grüße aus München, schön dich zu hören!", "Der Zug fährt um halb acht ab."],
    "es": ["¿Dónde está la estación de tren más cercana?", "Mañana será un día soleado."],
    "ja": ["こんにちは、お元気ですか？", "東京駅で午後三時に会いましょう。"],
    "fr": ["Où est la boulangerie la plus proche ?", "Je t'appellerai ce soir, promis."],
    "ru": ["Доброе утро! Как твои дела?", "Встретимся завтра у вокзала."],
    "ar": ["مرحبا بالعالم، كيف حالك؟", "سنلتقي غدا في المحطة."],
    "hi": ["नमस्ते, आप कैसे हैं?", "कल सुबह सात बजे मिलते हैं।"],
    "vi": ["Xin chào, hôm nay trời đẹp quá.", "Tôi sẽ gọi cho bạn vào tối nay."],
    "pt": ["Não sei se ele já chegou à estação.", "Ação, emoção e coração."],
}
# Higgs Audio v3's prompt tokens and a sample of its inline control tags (the released file has 84
# added tokens; these are the kinds, with the released names).
ADDED = ["<|tts|>", "<|streaming_tts|>", "<|audio|>", "<|audio_end|>", "<|text|>", "<|text_end|>",
         "<|ref_audio|>", "<|ref_text|>", "<|emotion:happy|>", "<|emotion:sad|>",
         "<|style:whisper|>", "<|sfx:laugh|>", "<|prosody:slow|>"]
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def corpus(rng):
    lines = []
    for lang, ss in SENTENCES.items():
        for s in ss:
            lines.append(s)
            lines.append(unicodedata.normalize("NFD", s))  # decomposed: NFC must recompose it
    words = [w for ss in SENTENCES.values() for s in ss for w in s.split()]
    for i in range(600):
        n = rng.randint(1, 14)
        parts = [rng.choice(words) for _ in range(n)]
        if rng.random() < 0.3:
            parts.insert(rng.randint(0, len(parts)), rng.choice(ADDED + SPECIALS))
        if rng.random() < 0.2:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 7))))
        sep = rng.choice([" ", " ", " ", "  ", "\n", "\t", " \n "])
        line = sep.join(parts)
        if rng.random() < 0.15:
            line = unicodedata.normalize("NFD", line)
        if rng.random() < 0.1:
            line = "  " + line + "   "
        lines.append(line)
    lines += ["", " ", "\n\n", "e\u0301t\u00e9", "<|tts|><|ref_text|>Hallo<|text|>Hi<|audio|>",
              "I'm sure they'll say it's \"fine\" — won't they?", "1234567890 3.14159 100%"]
    return lines


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(17)
    lines = corpus(rng)
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=3000, min_frequency=1, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=SPECIALS)
    tok.train_from_iterator([unicodedata.normalize("NFC", l) for l in lines] * 3, trainer)
    tok.add_special_tokens(ADDED)
    tok.save(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    ids = [tok.encode(line, add_special_tokens=False).ids for line in lines]
    with open(os.path.join(out, "peer.json"), "w") as f:
        json.dump(ids, f)
    print(f"qwen2 peer: {len(lines)} lines, vocab {tok.get_vocab_size()}, in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
