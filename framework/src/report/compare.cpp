// kcube compare: the picks of two runs side by side.
#include <cmath>
#include <cstdio>
#include <map>

#include "report/comparison.hpp"
#include "report/document.hpp"
#include "report/report.hpp"
#include "util/text.hpp"

namespace kcube::report {

namespace {

std::string pick(const std::optional<SelectionRecord>& r) {
  if (!r)
    return "(absent)";
  return r->k ? std::to_string(*r->k) : std::string(to_string(r->status));
}

// (b - a) / a in percent; "" when either is missing or a is 0.
std::string relative(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *a == 0.0)
    return "";
  return fmt(100.0 * (*b - *a) / *a, "%+.1f %%");
}

std::string describe(const StoredRun& run) {
  const RunContext& c = run.context;
  std::string text = c.experiment + ", run " + std::to_string(run.summary.id) + " (" +
                     std::string(to_string(run.summary.status)) + ", " +
                     std::string(to_string(c.evaluator));
  if (c.trials)
    text += ", " + std::to_string(*c.trials) + " trials";
  text += ", " + std::to_string(c.replications) + " replication" + (c.replications == 1 ? "" : "s");
  if (!c.sampling.empty())
    text += ", " + c.sampling;
  text += ", seed " + std::to_string(c.seed);
  if (!c.overrides.empty())
    text += ", " + text::join(c.overrides, " ");
  return text + ")";
}

}  // namespace

std::vector<PickDifference> compare_runs(const StoredRun& a, const StoredRun& b) {
  std::vector<PickDifference> out;
  std::map<PickKey, std::size_t> at;
  auto visit = [&](const StoredRun& run, bool first) {
    for (const CellResult& cell : run.cells) {
      for (const NamedSelection& s : cell.selections) {
        // A pick belongs to a (profile, aggregator) pair; runs without aggregators have only
        // the default one, and their keys stay the profile.
        const std::string profile = cell.aggregator == kDefaultAggregator
                                        ? cell.profile
                                        : cell.profile + " / " + cell.aggregator;
        PickKey key{cell.scenario, cell.sweep, profile, cell.replication, s.name};
        auto [it, inserted] = at.emplace(key, out.size());
        if (inserted)
          out.push_back({key, std::nullopt, std::nullopt, false});
        auto& slot = first ? out[it->second].a : out[it->second].b;
        slot = s.record;
      }
    }
  };
  visit(a, true);
  visit(b, false);
  for (auto& d : out)
    d.same = d.a && d.b && d.a->status == d.b->status && d.a->k == d.b->k;
  return out;
}

PickCounts count_picks(const std::vector<PickDifference>& picks) {
  PickCounts counts;
  for (const auto& p : picks) {
    if (p.same)
      ++counts.same;
    else if (!p.b)
      ++counts.only_a;
    else if (!p.a)
      ++counts.only_b;
    else
      ++counts.different;
  }
  return counts;
}

void print_comparison(std::ostream& out, const StoredRun& a, const std::string& a_label,
                      const StoredRun& b, const std::string& b_label,
                      const std::vector<PickDifference>& differences, bool all) {
  out << "A: " << a_label << ": " << describe(a) << "\n";
  out << "B: " << b_label << ": " << describe(b) << "\n";
  if (a.context.manifest_sha256 != b.context.manifest_sha256)
    out << "note: the runs come from different manifests\n";
  if (const std::string engine = engine_difference(a, b); !engine.empty())
    out << "note: " << engine << "\n";
  out << "\n";

  std::vector<std::vector<std::string>> rows;
  rows.push_back({"scenario", "sweep", "profile", "rep", "optimizer", "k A", "k B", "d accuracy",
                  "d cost", "d latency"});
  const auto [same, differ, only_a, only_b] = count_picks(differences);
  double max_accuracy = 0.0;
  for (const auto& d : differences) {
    if (d.same && !all)
      continue;
    std::string accuracy;
    if (d.a && d.b && d.a->accuracy && d.b->accuracy) {
      const double delta = *d.b->accuracy - *d.a->accuracy;
      max_accuracy = std::max(max_accuracy, std::abs(delta));
      accuracy = fmt(delta, "%+.4g");
    }
    rows.push_back({d.key.scenario, d.key.sweep.empty() ? "-" : d.key.sweep, d.key.profile,
                    std::to_string(d.key.replication), d.key.optimizer, pick(d.a), pick(d.b),
                    accuracy, d.a && d.b ? relative(d.a->cost, d.b->cost) : "",
                    d.a && d.b ? relative(d.a->latency, d.b->latency) : ""});
  }
  if (rows.size() > 1) {
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows)
      for (std::size_t c = 0; c < row.size(); ++c)
        width[c] = std::max(width[c], row[c].size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        line += rows[r][c];
        if (c + 1 < rows[r].size())
          line += std::string(width[c] - rows[r][c].size() + 2, ' ');
      }
      out << line << "\n";
      if (r == 0) {
        std::size_t total = 0;
        for (const auto w : width)
          total += w + 2;
        out << std::string(total - 2, '-') << "\n";
      }
    }
    out << "\n";
  }
  const std::size_t both = same + differ;
  out << both << " picks in both runs: " << same << " the same, " << differ << " different";
  if (both > 0)
    out << " (" << fmt(100.0 * static_cast<double>(differ) / static_cast<double>(both), "%.1f")
        << " %)";
  if (differ > 0)
    out << "; largest accuracy change " << fmt(max_accuracy, "%.4g");
  out << "; " << only_a << " only in A, " << only_b << " only in B.\n";
  out << "(d accuracy = B - A; d cost and d latency relative to A.)\n";
}

}  // namespace kcube::report
