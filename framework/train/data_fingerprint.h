// What the data files of a run were when a checkpoint was written: each file's size and XXH64.
// A checkpoint's position (epoch, batch) indexes the samples of those files, so a file edited in
// place between runs would resume at a position that means other samples, or past its end.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config.h"

namespace higgs {

/// [{"path", "bytes", "xxh64"}] of `files`, in order (a file that cannot be read: throws naming
/// it).
Json fingerprint_files(const std::vector<std::string>& files);

/// What differs between two fingerprints of the split `split` ("train_data"), one line each:
/// "train_data.contents: data/train.jsonl changed since the checkpoint (1234 -> 1200 bytes)".
std::vector<std::string> fingerprint_changes(const std::string& split, const Json& before,
                                             const Json& now);

}  // namespace higgs
