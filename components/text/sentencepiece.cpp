#include "components/text/sentencepiece.h"

#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "framework/registry/registry.h"
#include "framework/util/fs.h"

namespace higgs {

namespace fs = std::filesystem;

// The C functions of components/text/spm_shim/spm_shim.cpp.
struct SpmShim {
  void* (*load)(const char*, char*, int);
  void (*free)(void*);
  int (*vocab_size)(void*);
  int (*encode)(void*, const char*, int, int*, int);
  int (*id_to_piece)(void*, int, char*, int);
  int (*piece_to_id)(void*, const char*, int);
  int (*decode)(void*, const int*, int, char*, int);
};

namespace {

// libsentencepiece embeds a protobuf that clashes with libtorch's, so the shim gets a link map
// of its own (dlmopen). Each LM_ID_NEWLM namespace is scarce (glibc allows about 16), hence one
// per shim path for the whole process, never closed.
const SpmShim& load_shim(const std::string& path) {
  static std::mutex mu;
  static auto* loaded = new std::map<std::string, SpmShim>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded->find(path);
  if (it != loaded->end()) return it->second;
  void* lib = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    throw std::runtime_error("sentencepiece: cannot load the shim " + path + ": " + dlerror());
  auto sym = [&](const char* name) {
    void* p = dlsym(lib, name);
    if (!p)
      throw std::runtime_error("sentencepiece: " + path + " has no symbol " + name +
                               " (is it libhiggs_spm_shim from this build?)");
    return p;
  };
  SpmShim s;
  s.load = reinterpret_cast<decltype(s.load)>(sym("higgs_spm_load"));
  s.free = reinterpret_cast<decltype(s.free)>(sym("higgs_spm_free"));
  s.vocab_size = reinterpret_cast<decltype(s.vocab_size)>(sym("higgs_spm_vocab_size"));
  s.encode = reinterpret_cast<decltype(s.encode)>(sym("higgs_spm_encode"));
  s.id_to_piece = reinterpret_cast<decltype(s.id_to_piece)>(sym("higgs_spm_id_to_piece"));
  s.piece_to_id = reinterpret_cast<decltype(s.piece_to_id)>(sym("higgs_spm_piece_to_id"));
  s.decode = reinterpret_cast<decltype(s.decode)>(sym("higgs_spm_decode"));
  return loaded->emplace(path, s).first->second;
}

std::string find_shim(const std::string& requested) {
  if (!requested.empty()) {
    if (!fs::is_regular_file(requested))
      throw std::runtime_error("sentencepiece: shim not found: " + requested);
    return requested;
  }
  std::string tried;
  for (const auto& p : default_spm_shim_paths()) {
    if (fs::is_regular_file(p)) return p;
    tried += "\n  " + p;
  }
  throw std::runtime_error(
      "sentencepiece: the shim module " HIGGS_SPM_SHIM_NAME
      " was not found; build it (cmake --build BUILD --target higgs_spm_shim) or set the "
      "option `shim`. Looked in:" +
      tried);
}

}  // namespace

std::vector<std::string> default_spm_shim_paths() {
  std::vector<std::string> out = {HIGGS_SPM_SHIM_PATH};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path() / HIGGS_SPM_SHIM_NAME).string());
    out.push_back((exe.parent_path().parent_path() / "lib" / HIGGS_SPM_SHIM_NAME).string());
  }
  return out;
}

void SentencePieceTokenizer::bind(Binder& b, Options& o) {
  b.req("path", o.path, "The sentencepiece .model file.");
  b.opt("shim", o.shim,
        "Path of libhiggs_spm_shim.so; empty: the one built with higgs-train (build dir, then "
        "next to the executable, then ../lib).");
}

SentencePieceTokenizer::SentencePieceTokenizer(const Options& o)
    : SentencePieceTokenizer(o.path, o.shim) {}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path,
                                               const std::string& shim)
    : path_(model_path) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) throw std::runtime_error("sentencepiece: cannot read the model file " + model_path);
  std::stringstream ss;
  ss << in.rdbuf();
  identity_ = fnv1a_hex(ss.str());
  shim_ = &load_shim(find_shim(shim));
  char err[1024] = {0};
  handle_ = shim_->load(model_path.c_str(), err, sizeof(err));
  if (!handle_) throw std::runtime_error("sentencepiece: cannot load " + model_path + ": " + err);
  vocab_size_ = shim_->vocab_size(handle_);
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (handle_) shim_->free(handle_);
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  if (text.size() > static_cast<size_t>(INT32_MAX))
    throw std::invalid_argument("sentencepiece: text longer than 2 GiB");
  std::vector<int> buf(text.size() + 16);
  int n = shim_->encode(handle_, text.data(), static_cast<int>(text.size()), buf.data(),
                        static_cast<int>(buf.size()));
  if (n > static_cast<int>(buf.size())) {
    buf.resize(n);
    n = shim_->encode(handle_, text.data(), static_cast<int>(text.size()), buf.data(), n);
  }
  if (n < 0) throw std::runtime_error("sentencepiece: encoding failed with " + path_);
  return std::vector<int64_t>(buf.begin(), buf.begin() + n);
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> in(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size_)
      throw std::out_of_range("sentencepiece: id " + std::to_string(ids[i]) +
                              " is not in the vocabulary of " + path_);
    in[i] = static_cast<int>(ids[i]);
  }
  std::string out(ids.size() * 8 + 16, '\0');
  int n = shim_->decode(handle_, in.data(), static_cast<int>(in.size()), out.data(),
                        static_cast<int>(out.size()));
  if (n > static_cast<int>(out.size())) {
    out.resize(n);
    n = shim_->decode(handle_, in.data(), static_cast<int>(in.size()), out.data(), n);
  }
  if (n < 0) throw std::runtime_error("sentencepiece: decoding failed with " + path_);
  out.resize(n);
  return out;
}

std::optional<int64_t> SentencePieceTokenizer::token_to_id(const std::string& token) const {
  int id = shim_->piece_to_id(handle_, token.data(), static_cast<int>(token.size()));
  // PieceToId answers the unk id for unknown pieces; only a round trip says it is real.
  if (id < 0 || id >= vocab_size_ || id_to_token(id) != token) return std::nullopt;
  return id;
}

std::string SentencePieceTokenizer::id_to_token(int64_t id) const {
  if (id < 0 || id >= vocab_size_)
    throw std::out_of_range("sentencepiece: id " + std::to_string(id) +
                            " is not in the vocabulary of " + path_);
  std::string out(64, '\0');
  int n = shim_->id_to_piece(handle_, static_cast<int>(id), out.data(), 64);
  if (n > 64) {
    out.resize(n);
    shim_->id_to_piece(handle_, static_cast<int>(id), out.data(), n);
  }
  out.resize(n);
  return out;
}

HIGGS_REGISTER(higgs::TextTokenizer, higgs::SentencePieceTokenizer, "sentencepiece",
               "A sentencepiece .model, loaded through an isolated C shim (the embedded demo's "
               "tokenizer).");

}  // namespace higgs
