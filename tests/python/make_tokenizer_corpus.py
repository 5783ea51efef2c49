#!/usr/bin/env python3
"""Writes a deterministic corpus for the llama3_bpe peer test: one JSON string per line (so tabs,
newlines and carriage returns survive), mixing English, other scripts, emoji, digits, whitespace
runs, contractions, every Higgs special token inline, sound-event tags and punctuation.

    /usr/bin/python3 make_tokenizer_corpus.py HIGGS_TOKENIZER_CONFIG OUT.jsonl [N_LINES]

U+0085 and U+FEFF are left out: the JavaScript peer the test first used matched \\s differently from
Oniguruma (Hugging Face) and PCRE2 there. Today's peers (Hugging Face tokenizers, tiktoken) agree
with llama3_bpe on them; they stay out so that the corpus does not change. So are code points
assigned after Unicode 14 (PCRE2 10.42's tables).
"""
import json
import random
import sys

WORDS = ("the quick brown fox jumps over lazy dog voice clone audio speech model train data "
         "hello world this is a test of tokenizer with some longer words like internationalization "
         "antidisestablishmentarianism photosynthesis Higgs Boson LLaMA GPT okay yes no maybe "
         "recorded quiet room laughter music singing applause cheering cough humming").split()
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M",
                "'LL", "'D", "'Ll", "'rE", "’s", "’ll", "'x", "''", "'"]
PHRASES = {
    "zh": ["你好，世界！", "今天天气很好。", "我们正在训练一个语音模型。", "这是一个测试句子",
           "人工智能和机器学习", "北京上海广州深圳"],
    "ja": ["こんにちは世界", "東京は大きな都市です。", "カタカナとひらがな", "音声合成のテスト！",
           "ｶﾀｶﾅ半角", "すもももももももものうち"],
    "ar": ["مرحبا بالعالم", "هذا اختبار للنموذج", "اللغة العربية جميلة", "١٢٣ أرقام عربية"],
    "ru": ["Привет, мир!", "Это тестовое предложение.", "ЁЛКИ-ПАЛКИ", "съешь же ещё этих мягких"],
    "hi": ["नमस्ते दुनिया", "यह एक परीक्षण वाक्य है।", "हिन्दी भाषा", "१२३४ देवनागरी अंक"],
    "ko": ["안녕하세요 세계", "이것은 테스트 문장입니다.", "한국어 음성 모델", "ㅋㅋㅋ ㅎㅎ"],
    "other": ["Ελληνικά γράμματα", "עברית כאן", "ภาษาไทย", "Tiếng Việt có dấu", "Ǆemal Ǉubljana",
              "straße STRASSE ß", "ﬁ ﬂ ligatures", "Ångström café naïve résumé", "ﬀ Ⅻ ①②③"],
}
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏾‍💻", "🇺🇸", "🇯🇵🇰🇷", "1️⃣", "❤️", "🤖", "🎵🎶",
         "😂😂😂", "🧑‍🤝‍🧑", "✋🏻", "⌚", "🫠", "👁️‍🗨️", "™", "©®"]
PUNCT = ["...", "!!!", "???", "?!", "—", "–", "--", "«»", "“quoted”", "‘single’", "(paren)",
         "[bracket]", "{brace}", "<angle>", "<|", "|>", "<|>", "@#$%^&*", "~`", "\\", "/", "::",
         "->", "=>", "!=", "&&", "||", ";", ",", ".", "…", "•", "§¶", "€£¥₹", "½¾", "°C", "±"]
SOUND_TAGS = ["[laugh]", "[humming start]", "[humming end]", "[music start]", "[music end]",
              "[music]", "[sing start]", "[sing end]", "[applause]", "[cheering]", "[cough]",
              "<SE>[Laughter]</SE>", "<SE_s>[Humming]</SE_s>", "<SE_e>[Humming]</SE_e>",
              "<SE_s>[Music]</SE_s>", "<SE_e>[Music]</SE_e>", "<SE>[Music]</SE>",
              "<SE_s>[Singing]</SE_s>", "<SE_e>[Singing]</SE_e>", "<SE>[Applause]</SE>",
              "<SE>[Cheering]</SE>", "<SE>[Cough]</SE>"]
WS = [" ", "  ", "   ", "    ", "        ", "\t", "\t\t", " \t ", "\n", "\n\n", "\n\n\n", "\r\n",
      "\r", " \n ", "\n  \n", "\u00a0", "\u3000", "\u2009", "\u2028", "  \n\t  "]
# Blocks whose letters, marks and digits are stable since long before Unicode 14.
RANGES = [(0x20, 0x7E), (0xA1, 0x17F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF),
          (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE5B), (0x3040, 0x30FF), (0x4E00, 0x9FA5),
          (0xAC00, 0xD7A3), (0x2000, 0x206F), (0x2190, 0x22FF), (0x1F300, 0x1F5FF)]


def number(rng):
    n = rng.randint(1, 24)
    return "".join(rng.choice("0123456789") for _ in range(n))


def random_chars(rng, n):
    out = []
    for _ in range(n):
        lo, hi = rng.choice(RANGES)
        cp = rng.randint(lo, hi)
        if cp in (0x85, 0xFEFF) or 0x2060 <= cp <= 0x206F or 0x2028 <= cp <= 0x202E:
            cp = 0x41
        out.append(chr(cp))
    return "".join(out)


def fragment(rng, specials):
    kind = rng.randrange(12)
    if kind == 0:
        w = rng.choice(WORDS)
        return w + rng.choice(CONTRACTIONS)
    if kind == 1:
        return number(rng)
    if kind == 2:
        return rng.choice(WS)
    if kind == 3:
        return rng.choice(specials)
    if kind == 4:
        return rng.choice(SOUND_TAGS)
    if kind == 5:
        return rng.choice(PUNCT)
    if kind == 6:
        return rng.choice(EMOJI)
    if kind == 7:
        return rng.choice(rng.choice(list(PHRASES.values())))
    if kind == 8:
        return random_chars(rng, rng.randint(1, 12))
    w = rng.choice(WORDS)
    return rng.choice([w, w.upper(), w.capitalize(), " " + w])


def main():
    config_path, out_path = sys.argv[1], sys.argv[2]
    n_lines = int(sys.argv[3]) if len(sys.argv) > 3 else 2400
    config = json.load(open(config_path, encoding="utf-8"))
    specials = [v["content"] for _, v in sorted(config["added_tokens_decoder"].items(),
                                                key=lambda kv: int(kv[0]))]
    rng = random.Random(20261125)
    lines = []
    # Fixed lines first: each special token alone, inline and glued; the Higgs prompt layout.
    for s in specials:
        lines.append(s)
        lines.append(f"before{s}after")
        lines.append(f" {s} spaced {s}{s}\n")
    for s in ["<|eot_id", "<|eot_id|", "|eot_id|>", "<|<|eot_id|>|>", "<SE><SE_s></SE_s>",
              "<SE >", "< SE>", "<se>", "<|EOT_ID|>"]:
        lines.append(s)
    lines.append("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nGenerate audio "
                 "following instruction.\n\n<|scene_desc_start|>\nAudio is recorded from a quiet "
                 "room.\n<|scene_desc_end|><|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                 "Hello there [laugh] ok.<|eot_id|><|start_header_id|>assistant<|end_header_id|>"
                 "\n\n<|audio_out_bos|><|AUDIO_OUT|><|audio_eos|><|eot_id|>")
    for k in range(1, 40):
        lines.append("".join(str((k + j) % 10) for j in range(k)))
        lines.append("x" + "1" * k + "y " + "9" * k + ".5")
    for w in ["", "a", "\n", "\t", "\r\n"]:
        for k in (1, 2, 3, 5, 8, 17, 64):
            lines.append(w + " " * k + "word" + " " * k + w)
            lines.append("\t" * k + w + "\n" * k)
    for c in CONTRACTIONS:
        lines.append(f"IT{c} THEY{c} we{c} {c} {c.upper()}x")
    for values in PHRASES.values():
        lines.extend(values)
    lines.extend(EMOJI)
    lines.append(" ".join(EMOJI))
    lines.append("".join(PUNCT))
    lines.extend(SOUND_TAGS)
    while len(lines) < n_lines:
        n = rng.randint(1, 30)
        lines.append("".join(fragment(rng, specials) for _ in range(n)))
    with open(out_path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
