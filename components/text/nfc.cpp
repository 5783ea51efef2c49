#include "components/text/nfc.h"

#include <stdexcept>

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace higgs {

std::string to_nfc(std::string_view utf8) {
  bool ascii = true;
  for (unsigned char c : utf8) ascii &= c < 0x80;
  if (ascii) return std::string(utf8);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU: no NFC normaliser");
  const icu::UnicodeString text =
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), int32_t(utf8.size())));
  if (nfc->isNormalized(text, status) && U_SUCCESS(status)) return std::string(utf8);
  status = U_ZERO_ERROR;
  const icu::UnicodeString composed = nfc->normalize(text, status);
  if (U_FAILURE(status)) throw std::invalid_argument("NFC normalisation failed (invalid UTF-8?)");
  std::string out;
  composed.toUTF8String(out);
  return out;
}

}  // namespace higgs
