// tiktoken BPE files (one "BASE64_TOKEN RANK" line per token, such as the tokenizer.model Meta
// ships beside the Llama-3 weights) turned into the vocabulary and merges ByteLevelBpe takes.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "components/text/byte_level_bpe.h"

namespace higgs {

/// The tokens of a tiktoken file's `content`, as raw bytes, indexed by rank. Throws naming `file`
/// and the line for a line that is not "BASE64 RANK", bad base64, an empty or repeated token, or
/// ranks that do not run 0, 1, 2, ... in line order; and when a byte has no single-byte token.
std::vector<std::string> read_tiktoken_ranks(const std::string& content, const std::string& file);

/// Merges of the ranks as (left rank, right rank), in merge order: for each token of two or more
/// bytes every split into two tokens, ordered by the rank of the token they make, then by the
/// left and right ranks. This is transformers' TikTokenConverter, so the merges equal those of
/// Meta's Llama-3 tokenizer.json; applying them lowest first gives tiktoken's ids.
std::vector<std::pair<int32_t, int32_t>> tiktoken_merges(const std::vector<std::string>& tokens);

/// ByteLevelBpe parameters for a tiktoken vocabulary: id = rank, tokens in GPT-2's byte alphabet,
/// the merges above, ignore_merges (tiktoken emits a pre-token that is itself a token whole).
ByteLevelBpe::Params tiktoken_bpe_params(const std::vector<std::string>& tokens,
                                         const std::string& file);

/// Whether the file at `path` opens with a tiktoken line ("BASE64 RANK"): tells a Llama-3
/// tokenizer.model from a sentencepiece one (a binary protobuf) of the same name.
bool is_tiktoken_file(const std::string& path);

}  // namespace higgs
