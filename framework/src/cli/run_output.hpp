// Private: what `kcube run` prints about a run (run/runner.hpp's RunReport).
#pragma once

#include <iosfwd>

#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "run/runner.hpp"

namespace kcube::cli {

/// `kcube run ARGS` (with --plugin-path options given before `run`) with --resume, quoted for a
/// POSIX shell: the command that continues a run after an interruption. `resume`: ARGS hold it.
std::string resume_command(const Args& args, const GlobalOptions& global, bool resume);

/// Per scenario: profiles (x aggregators, when the manifest has more than one) x optimizers ->
/// picked k, at the first sweep point and replication (`kcube export` has them all).
void print_summary(std::ostream& out, const RunReport& report);

/// "N cells run in S s" with what is worth knowing about them: resumed, failed cells, the shard,
/// the MPI shares (print_share_stats), the cells --fail-fast left (unless `interrupted`).
void print_totals(std::ostream& out, const RunReport& report, bool interrupted);

/// What an interruption by `signal` (SIGINT or SIGTERM) left, and `resume_command`.
void print_interruption(std::ostream& err, const RunReport& report, int signal,
                        const std::string& resume_command);

/// What rank 0 did besides running cells, for the scaling discussion in the README.
void print_share_stats(std::ostream& out, const RunReport& report);

/// The progress line "\r  cells N/M, R trials/s, ETA S s" for a cell just stored.
void print_progress(std::ostream& out, const Manifest& m, const CellProgress& progress);

}  // namespace kcube::cli
