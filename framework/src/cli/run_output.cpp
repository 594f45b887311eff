#include "cli/run_output.hpp"

#include <csignal>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace {

// Which cells print_summary() shows when the run has more than one per profile and scenario:
// " (sweep point 1 of 3, scenarios.s.params.cost_max=0.05; the first of 2 replications)".
std::string summary_scope(const Manifest& m, const std::vector<SweepPoint>& points) {
  std::vector<std::string> parts;
  if (!m.sweep.empty()) {
    parts.push_back("sweep point 1 of " + std::to_string(points.size()) + ", " +
                    text::printable(points.front().label));
  }
  if (m.run.replications > 1)
    parts.push_back("the first of " + std::to_string(m.run.replications) + " replications");
  return parts.empty() ? "" : " (" + text::join(parts, "; ") + ")";
}

// `word` for a POSIX shell: as it is when it holds only characters no shell treats specially,
// else in single quotes.
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./:=,+@%-") == std::string::npos;
  if (plain)
    return word;
  std::string quoted = "'";
  for (const char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string resume_command(const Args& args, const GlobalOptions& global, bool resume) {
  std::string command = "kcube";
  for (const auto& dir : global.plugin_paths)
    command += " --plugin-path " + shell_word(dir);
  command += " run";
  for (const auto& word : args)
    command += " " + shell_word(word);
  return resume ? command : command + " --resume";
}

void print_summary(std::ostream& out, const RunReport& report) {
  const Manifest& m = report.manifest;
  const std::string scope = summary_scope(m, report.points);
  // With one aggregator (a manifest naming none has max-accuracy) the table is as it always was.
  const bool by_aggregator = m.aggregators.size() > 1;
  for (const PluginUse& scenario : m.scenarios) {
    out << "\nScenario " << scenario.name << ": k picked by each optimizer" << scope << "\n";
    std::vector<std::string> header = {"profile"};
    if (by_aggregator)
      header.emplace_back("aggregator");
    for (const PluginUse& o : m.optimizers)
      header.push_back(o.name);
    Table table(header);
    for (const PluginUse& profile : m.profiles) {
      if (!pairs_with(scenario, profile.name))
        continue;  // the scenario's `profiles:` leaves it out: no cells
      for (const PluginUse& aggregator : m.aggregators) {
        std::vector<std::string> row = {profile.name};
        if (by_aggregator)
          row.push_back(aggregator.name);
        const CellResult* found = nullptr;
        for (const auto& c : report.first_cells) {
          if (c.profile == profile.name && c.scenario == scenario.name &&
              c.aggregator == aggregator.name) {
            found = &c;
            break;
          }
        }
        for (std::size_t o = 0; o < m.optimizers.size(); ++o) {
          if (found == nullptr || found->status == CellStatus::error ||
              o >= found->selections.size()) {
            row.push_back(found != nullptr && found->status == CellStatus::error ? "error" : "-");
            continue;
          }
          const NamedSelection& selection = found->selections[o];
          const auto& record = selection.record;
          std::string pick =
              record.k ? std::to_string(*record.k) : std::string(to_string(record.status));
          // run.bootstrap: how sure the pick is, the share of question resamples that agree.
          if (selection.pick_share) {
            char share[16];
            std::snprintf(share, sizeof share, "%.2f", *selection.pick_share);
            pick += std::string(" (P(pick) ") + share + ")";
          }
          row.push_back(pick);
        }
        table.add(row);
      }
    }
    table.print(out, "  ");
  }
}

void print_totals(std::ostream& out, const RunReport& report, bool interrupted) {
  out << "\n"
      << (report.done_before == 0 ? "" : "resumed; ") << report.ran << " cells run"
      << (report.failed ? ", " + std::to_string(report.failed) + " with errors (see kcube export)"
                        : "")
      << " in " << text::format_fixed(report.seconds, 3) << " s"
      << (report.shard.whole() ? std::string()
                               : " (shard " + report.shard.text() + " of " +
                                     std::to_string(report.plan_cells) + " planned cells)")
      << "\n";
  if (report.ranks > 1)
    print_share_stats(out, report);
  if (report.skipped && !interrupted) {
    out << "stopped at the first failed cell (--fail-fast): " << report.skipped
        << " cells not run; 'kcube run --resume' retries the failed cell and runs them\n";
  }
}

void print_interruption(std::ostream& err, const RunReport& report, int signal,
                        const std::string& resume_command) {
  err << "kcube run: interrupted by " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ": run "
      << report.run << " is marked interrupted with " << (report.shard_cells - report.skipped)
      << " of " << report.shard_cells << " cells stored (" << report.skipped
      << " not run; a cell stopped by the signal is not stored). Continue it with:\n  "
      << resume_command << "\n"
      << std::flush;
}

void print_share_stats(std::ostream& out, const RunReport& report) {
  const ShareStats& s = report.shares;
  const auto cells = s.cells_here + s.cells_elsewhere;
  out << "mpi: " << report.ranks << " ranks on " << report.hosts.size()
      << (report.hosts.size() == 1 ? " host" : " hosts") << "; rank 0 ran " << s.cells_here
      << " cells, the others " << s.cells_elsewhere << "; "
      << text::format_fixed(static_cast<double>(s.bytes_received) / 1e6, 3)
      << " MB of results received"
      << (s.cells_elsewhere > 0
              ? " (" + std::to_string(s.bytes_received / s.cells_elsewhere) + " bytes per cell)"
              : std::string())
      << "; rank 0 spent " << text::format_fixed(s.seconds_storing, 3) << " s decoding and storing"
      << (cells > 0
              ? " (" + text::format_fixed(s.seconds_storing / static_cast<double>(cells) * 1e3, 3) +
                    " ms per cell)"
              : std::string())
      << "\n";
}

void print_progress(std::ostream& out, const Manifest& m, const CellProgress& p) {
  const double trials_per_second =
      m.run.evaluator == Evaluator::exact
          ? 0.0
          : static_cast<double>(p.ran) * static_cast<double>(m.run.trials) / p.seconds;
  const double eta =
      p.seconds / static_cast<double>(p.ran) * static_cast<double>(p.pending - p.ran);
  out << "\r  cells " << p.stored << "/" << p.shard_cells << ", "
      << text::format_fixed(trials_per_second, 3) << " trials/s, ETA " << text::format_fixed(eta, 2)
      << " s   " << std::flush;
}

}  // namespace kcube::cli
