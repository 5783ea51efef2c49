// Unicode NFC (canonical composition), the normalizer of Qwen2/Qwen3 tokenizer.json files: text
// is composed before it is split and encoded, so "e" + U+0301 and "é" give the same ids.
#pragma once

#include <string>
#include <string_view>

namespace higgs {

/// `utf8` in NFC (ICU's normaliser); ASCII and already-composed text come back unchanged without
/// conversion. Throws std::invalid_argument for text that is not valid UTF-8.
std::string to_nfc(std::string_view utf8);

}  // namespace higgs
