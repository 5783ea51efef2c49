// Test-only fault injection, for the reliability tests (docs/reliability.md). Off unless the
// environment variable HIGGS_FAULT_INJECT is set:
//
//   HIGGS_FAULT_INJECT=POINT[/FILENAME][@N][:ACTION]
//
// The N-th time (default 1) the process reaches fault_point(POINT) (for FILENAME: with a file of
// that name), ACTION happens:
//   kill    the process sends itself SIGKILL (default): a crash at exactly that moment
//   enospc  fault_point returns ENOSPC, and the caller fails as on a full disk
// Points: "checkpoint.before_rename" (Checkpointer::write: every file written and fsynced, the
// folder not yet renamed), "file.write" (write_file_atomic_stream: after a block reaches the
// temporary file, before the fsync and rename), and the steps of a directory commit and of the
// metrics file; docs/reliability.md lists every point.
// Example: HIGGS_FAULT_INJECT=file.write/optimizer.pt@2 kills the process while the second
// checkpoint's optimizer.pt is being written.
#pragma once

#include <string>

namespace higgs {

/// 0 normally; an errno value the caller must fail with when an injected fault says so.
/// `path` is the file being written, matched against FILENAME by its last component.
int fault_point(const char* point, const std::string& path = "");

}  // namespace higgs
