// C-ABI wrapper around libsentencepiece, built as its own module and loaded with
// dlmopen(LM_ID_NEWLM): libsentencepiece embeds protobuf-lite 3.14 and crashes when it shares a
// link map with libtorch's protobuf 3.21. Only C types cross this boundary.
#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

extern "C" {

void* higgs_spm_load(const char* path, char* err, int err_len) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  auto st = sp->Load(path);
  if (!st.ok()) {
    std::snprintf(err, err_len, "%s", st.ToString().c_str());
    delete sp;
    return nullptr;
  }
  return sp;
}

void higgs_spm_free(void* h) { delete static_cast<sentencepiece::SentencePieceProcessor*>(h); }

int higgs_spm_vocab_size(void* h) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize();
}

// Encodes `text` (length `len`) into `out` (capacity `cap`); returns the number of ids, which may
// exceed `cap` (call again with a larger buffer), or -1 on error.
int higgs_spm_encode(void* h, const char* text, int len, int* out, int cap) {
  std::vector<int> ids;
  auto st =
      static_cast<sentencepiece::SentencePieceProcessor*>(h)->Encode(std::string(text, len), &ids);
  if (!st.ok()) return -1;
  for (int i = 0; i < static_cast<int>(ids.size()) && i < cap; ++i) out[i] = ids[i];
  return static_cast<int>(ids.size());
}

// Writes the piece of `id` into `out`; returns its length (may exceed `cap`).
int higgs_spm_id_to_piece(void* h, int id, char* out, int cap) {
  const std::string& p = static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id);
  std::memcpy(out, p.data(), std::min<size_t>(p.size(), cap));
  return static_cast<int>(p.size());
}

int higgs_spm_piece_to_id(void* h, const char* piece, int len) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(h)->PieceToId(std::string(piece, len));
}

// Decodes ids into `out`; returns the text length (may exceed `cap`), or -1 on error.
int higgs_spm_decode(void* h, const int* ids, int n, char* out, int cap) {
  std::string text;
  auto st = static_cast<sentencepiece::SentencePieceProcessor*>(h)->Decode(
      std::vector<int>(ids, ids + n), &text);
  if (!st.ok()) return -1;
  std::memcpy(out, text.data(), std::min<size_t>(text.size(), cap));
  return static_cast<int>(text.size());
}

}  // extern "C"
