// Word and character error rates of a recognised transcript against the target text, with the
// normalisation of Seed-TTS-eval (the field's voice-cloning benchmark, run_wer.py): lower case,
// punctuation removed except the apostrophe, spaces collapsed; numbers stay as written.
#pragma once

#include <string>
#include <vector>

namespace higgs::generation {

/// Lower case (ASCII), every ASCII and common Unicode punctuation mark removed except the
/// apostrophe, runs of white space made one space, trimmed.
std::string normalize_for_wer(const std::string& text);

/// Levenshtein distance between two token sequences.
size_t edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b);

struct ErrorRates {
  double wer = 0, cer = 0;
  size_t words = 0, chars = 0;  // of the normalised reference
  size_t word_errors = 0, char_errors = 0;
};

/// Word errors over reference words, and character errors (code points, spaces excluded) over
/// reference characters, both after normalize_for_wer. An empty reference gives 0 when the
/// hypothesis is empty too, else 1 (every hypothesis word an insertion).
ErrorRates error_rates(const std::string& reference, const std::string& hypothesis);

}  // namespace higgs::generation
