// The exit statuses of higgs-run (docs/cli.md has the table; tests/e2e/exit_codes_test.sh asserts
// it). Scripts and schedulers tell a bad recipe from a failed run and a run to resume.
#pragma once

namespace higgs {

inline constexpr int kExitSuccess = 0;
/// The work failed while running: unreadable data, a full disk, a non-finite loss, ...
inline constexpr int kExitFailure = 1;
/// A usage or recipe error, found before anything ran or was loaded.
inline constexpr int kExitUsage = 2;
/// Stopped by SIGINT, SIGTERM or SIGHUP after writing a checkpoint: continue with --resume auto.
/// 75 is EX_TEMPFAIL of sysexits.h ("try again later").
inline constexpr int kExitInterrupted = 75;

}  // namespace higgs
