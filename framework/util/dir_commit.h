// A directory written as a whole and put in place by renames only, so that after a crash at any
// moment the directory is either its old complete self or the new complete one (never torn, never
// missing while a complete copy exists). Checkpoints and a run's final/ are written this way.
//
// Layout, for DIR = PARENT/NAME: the new copy is written in PARENT/.NAME.tmp; a complete copy
// holds MANIFEST (higgs_manifest.json: every file's size and XXH64, written last); an existing
// DIR is renamed to PARENT/.NAME.old before the new copy is renamed to DIR, and removed after.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace higgs {

/// The name of the manifest file a complete directory holds.
inline constexpr const char* kManifestFile = "higgs_manifest.json";

/// Writes `dir`: `fill(tmp)` writes the files into the temporary copy; the manifest is written
/// last, everything fsynced, and the copy renamed into place. `fault` names this write's fault
/// points (fault.h): FAULT.before_rename (the copy complete), FAULT.old_aside (the old copy
/// renamed aside, the new one not yet in), FAULT.new_in (the new one in, the old not yet removed).
/// On an exception the temporary copy is removed and `dir` is left as it was.
void write_directory_atomically(const std::string& dir,
                                const std::function<void(const std::string&)>& fill,
                                const std::string& fault);

/// What is wrong with `dir` as a complete copy: nullopt when its manifest lists exactly the
/// files there with their sizes (and, with `checksums`, their XXH64), else the first problem
/// ("no higgs_manifest.json", "optimizer.pt: 1234 bytes, the manifest says 5678", ...).
std::optional<std::string> verify_directory(const std::string& dir, bool checksums);

/// Finishes or rolls back what an interrupted write of `dir` left behind: a complete .NAME.tmp
/// becomes DIR when DIR is missing (the crash came between the two renames), a complete .NAME.old
/// comes back when DIR is missing or incomplete; every other leftover is removed. `is_complete`
/// judges a copy (default: verify_directory without checksums). Returns what it did, one line
/// each, for the log.
std::vector<std::string> recover_directory(
    const std::string& dir, const std::function<bool(const std::string&)>& is_complete = {});

/// Removes `dir` so that no torn copy is ever seen under its name: renamed to .NAME.removed
/// first, then deleted (recover_directory deletes what a crash left of it).
void remove_directory_atomically(const std::string& dir);

}  // namespace higgs
