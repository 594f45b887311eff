#include "run/merge.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "kcube/error.hpp"
#include "run/builds.hpp"
#include "util/json.hpp"
#include "util/text.hpp"

namespace kcube {
namespace fs = std::filesystem;
namespace {

// True when `a` and `b` name one file (or, when either does not exist, the same path).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec))
    return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

std::string shard_text(int index, int count) {
  return std::to_string(index) + "/" + std::to_string(count);
}

// "'part-2.sqlite' (run 1, shard 2/4)": a part as the messages name it.
std::string describe(const MergePart& part) {
  const RunSummary& s = part.run.summary;
  return "'" + part.path + "' (run " + std::to_string(s.id) +
         (s.shard_count > 0 ? ", shard " + shard_text(s.shard_index, s.shard_count) : "") + ")";
}

// ---- refusals (kcube::Error: exit 2, nothing written) ----

void refuse_out_among_parts(const std::string& out, const std::vector<MergePart>& parts) {
  for (const MergePart& part : parts) {
    if (same_file(out, part.path)) {
      throw Error("kcube merge: the output '" + out + "' is also the part '" + part.path +
                  "'; merge into a new or another store, e.g. 'kcube merge merged.sqlite " +
                  part.path + " ...'");
    }
  }
}

void refuse_repeated_runs(const std::vector<MergePart>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    for (std::size_t j = i + 1; j < parts.size(); ++j) {
      if (parts[i].run.summary.id == parts[j].run.summary.id &&
          same_file(parts[i].path, parts[j].path)) {
        throw Error("kcube merge: " + describe(parts[i]) + " and " + describe(parts[j]) +
                    " are the same run of the same store, given twice; give each part once");
      }
    }
  }
}

// A value of a field that may be long or span lines, for a message.
std::string shown(const std::string& value) {
  constexpr std::size_t kLongest = 80;
  if (value.empty())
    return "(none)";
  if (value.size() <= kLongest && value.find('\n') == std::string::npos)
    return "'" + value + "'";
  return "'" + value.substr(0, std::min(kLongest, value.find('\n'))) + "...' (" +
         std::to_string(value.size()) + " bytes)";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return lines;
}

// Both values of lines of text where they first differ: "line 7 'a'" and "line 7 'b'" (with
// `numbered`), or "'a'" and "'b'".
std::pair<std::string, std::string> first_difference(const std::string& a, const std::string& b,
                                                     bool numbered) {
  const auto lines_a = lines_of(a);
  const auto lines_b = lines_of(b);
  std::size_t line = 0;
  while (line < lines_a.size() && line < lines_b.size() && lines_a[line] == lines_b[line])
    ++line;
  const auto at = [&](const std::vector<std::string>& lines) {
    return (numbered ? "line " + std::to_string(line + 1) + " " : "") +
           (line < lines.size() ? shown(lines[line]) : "(the end)");
  };
  return {at(lines_a), at(lines_b)};
}

// The fields that make two runs runs of one plan, in the order they are compared.
std::vector<std::pair<std::string, std::string>> plan_fields(const MergePart& part) {
  const RunContext& c = part.run.context;
  return {{"experiment", c.experiment},
          {"manifest_sha256", c.manifest_sha256},
          {"manifest_text", c.manifest_text},
          {"--set overrides", text::join(c.overrides, " ")},
          {"evaluator", std::string(to_string(c.evaluator))},
          {"trials", c.trials ? std::to_string(*c.trials) : ""},
          {"replications", std::to_string(c.replications)},
          {"sampling", c.sampling},
          {"seed", std::to_string(c.seed)},
          {"plan_cells", std::to_string(part.run.summary.plan_cells)}};
}

void refuse_other_manifests(const std::vector<MergePart>& parts) {
  const auto want = plan_fields(parts.front());
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const auto got = plan_fields(parts[p]);
    for (std::size_t f = 0; f < want.size(); ++f) {
      if (got[f].second == want[f].second)
        continue;
      auto [a, b] = std::make_pair(shown(want[f].second), shown(got[f].second));
      // A text of many lines: the first line that differs.
      if (want[f].first == "manifest_text")
        std::tie(a, b) = first_difference(want[f].second, got[f].second, true);
      throw Error("kcube merge: " + describe(parts.front()) + " and " + describe(parts[p]) +
                  " are runs of different manifests: they differ in " + want[f].first + " (" + a +
                  " in '" + parts.front().path + "', " + b + " in '" + parts[p].path +
                  "'); merge only parts run from one manifest with the same --set options "
                  "(`kcube runs PART` shows each part's runs)");
    }
  }
}

void refuse_overlaps(const std::vector<MergePart>& parts) {
  std::map<std::pair<int, int>, std::size_t> shards;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const RunSummary& s = parts[p].run.summary;
    if (s.shard_count == 0)
      continue;
    const auto [it, fresh] = shards.emplace(std::pair(s.shard_index, s.shard_count), p);
    if (!fresh) {
      throw Error("kcube merge: " + describe(parts[it->second]) + " and " + describe(parts[p]) +
                  " are both shard " + shard_text(s.shard_index, s.shard_count) +
                  "; give one run of each shard (pick one of a store's runs with PART.sqlite:ID)");
    }
  }
  std::unordered_map<std::string, std::size_t> owner;
  std::optional<std::tuple<std::string, std::size_t, std::size_t>> first;
  std::size_t shared = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (const CellResult& cell : parts[p].run.cells) {
      const auto [it, fresh] = owner.emplace(cell.key(), p);
      if (fresh)
        continue;
      ++shared;
      if (!first)
        first.emplace(cell.key(), it->second, p);
    }
  }
  if (first) {
    const auto& [key, a, b] = *first;
    throw Error("kcube merge: " + describe(parts[a]) + " and " + describe(parts[b]) +
                " both hold cell " + key +
                (shared > 1 ? " (" + std::to_string(shared) + " cells are held twice)" : "") +
                "; each cell must come from one part: give shards of one --shard N, not a whole "
                "run and its shards, nor shards of different N that overlap");
  }
}

// The parts' builds (kcube's version, each plugin's version and file SHA-256; never file paths,
// which differ between nodes) against the first part's: a difference is refused unless
// `allow`. Returns the merged run's build_changes: every part's own, then one per part of other
// builds (empty when none).
std::string check_builds(const std::vector<MergePart>& parts, bool allow) {
  const Builds first = latest_builds(parts.front().run.context);
  std::vector<std::string> changes;
  for (const MergePart& part : parts) {
    const std::string& own = part.run.context.build_changes;
    if (own.size() > 2)
      changes.push_back(own.substr(1, own.size() - 2));  // the elements of the JSON array
  }
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const Builds builds = latest_builds(parts[p].run.context);
    const auto differences = build_differences(first, builds);
    if (differences.empty())
      continue;
    if (!allow) {
      throw Error("kcube merge: " + describe(parts.front()) + " and " + describe(parts[p]) +
                  " were made with different builds:" +
                  describe_differences(differences, "'" + parts.front().path + "'",
                                       "'" + parts[p].path + "'") +
                  "\nMerging would mix Monte Carlo results of different builds in one run: rerun "
                  "the parts with one build, or pass --allow-changed-plugins to merge anyway (the "
                  "merged run then records every build)");
    }
    changes.push_back(build_change_json(
        first, builds,
        "kcube merge of '" + parts[p].path + "' run " + std::to_string(parts[p].run.summary.id)));
  }
  if (changes.empty())
    return {};
  std::ostringstream out;
  json::Writer w(out);
  w.begin_array();
  for (const std::string& change : changes)
    w.raw(change);  // JSON already: a part's own elements, or build_change_json()
  w.end_array();
  return out.str();
}

// The parts' engine versions (engine/engine.hpp): Monte Carlo numbers of two versions are
// numbers of two generators and never merged, with or without --allow-changed-plugins. Exact runs
// do not depend on the engine (depends_on_engine()), so their parts merge whatever made them,
// and the merged run records the newest version among them. Returns the merged run's version.
int check_engine_versions(const std::vector<MergePart>& parts) {
  int newest = parts.front().run.summary.engine_version;
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const RunSummary& first = parts.front().run.summary;
    const RunSummary& other = parts[p].run.summary;
    newest = std::max(newest, other.engine_version);
    if (other.engine_version == first.engine_version || !depends_on_engine(first.evaluator))
      continue;
    throw Error("kcube merge: " + describe(parts.front()) + " was made by engine version " +
                std::to_string(first.engine_version) + " (" +
                engine_version_summary(first.engine_version) + ") and " + describe(parts[p]) +
                " by engine version " + std::to_string(other.engine_version) + " (" +
                engine_version_summary(other.engine_version) +
                "): their Monte Carlo numbers come from different generators and cannot be one "
                "run. Rerun the parts of the older version with this kcube (without --resume), "
                "or merge only parts of one engine version (`kcube runs PART` shows each run's)");
  }
  return newest;
}

// ---- completeness ----

MergeGaps find_gaps(const std::vector<MergePart>& parts) {
  MergeGaps gaps;
  gaps.plan_cells = parts.front().run.summary.plan_cells;
  std::vector<bool> held(static_cast<std::size_t>(std::max<std::int64_t>(gaps.plan_cells, 0)));
  std::set<int> counts, shards;
  for (const MergePart& part : parts) {
    const RunSummary& s = part.run.summary;
    counts.insert(s.shard_count);
    shards.insert(s.shard_index);
    if (s.status != RunStatus::finished) {
      gaps.unfinished.push_back(
          describe(part) + (s.status == RunStatus::running ? " is still running (or was killed)"
                            : s.status == RunStatus::interrupted ? " was interrupted"
                                                                 : " failed"));
    }
    for (const CellResult& cell : part.run.cells) {
      if (cell.position && *cell.position >= 0 && *cell.position < gaps.plan_cells)
        held[static_cast<std::size_t>(*cell.position)] = true;
      gaps.errors += cell.status == CellStatus::error ? 1 : 0;
    }
  }
  gaps.missing = std::count(held.begin(), held.end(), false);
  if (counts.size() == 1 && *counts.begin() > 0) {
    for (int i = 1; i <= *counts.begin(); ++i) {
      if (shards.count(i) == 0)
        gaps.absent_shards.push_back(shard_text(i, *counts.begin()));
    }
  }
  return gaps;
}

// ---- the merged run ----

std::string merged_from_json(const std::vector<MergePart>& parts) {
  std::ostringstream out;
  json::Writer w(out);
  w.begin_array();
  for (const MergePart& part : parts) {
    const RunSummary& s = part.run.summary;
    w.begin_object().key("store").string(part.path).key("run").integer(s.id).key("shard");
    s.shard_count > 0 ? w.string(shard_text(s.shard_index, s.shard_count)) : w.null();
    w.key("host").string(part.run.context.host).key("started_at").string(s.started_at);
    w.key("finished_at");
    s.finished_at.empty() ? w.null() : w.string(s.finished_at);
    w.key("status").string(to_string(s.status)).key("cells").integer(part.run.cells.size());
    w.end_object();
  }
  w.end_array();
  return out.str();
}

// The parts are sorted by shard index: the first one's context is the merged run's, but for a
// whole run (shard 0/0) of the plan's cells, started when the first part started, on the hosts of
// all parts, with as many MPI processes as the widest part.
RunContext merged_context(const std::vector<MergePart>& parts) {
  RunContext c = parts.front().run.context;
  c.shard_index = 0;
  c.shard_count = 0;
  c.cell_count = parts.front().run.summary.plan_cells;
  c.plan_cells = c.cell_count;
  std::vector<std::string> hosts;
  for (const MergePart& part : parts) {
    const RunContext& p = part.run.context;
    c.started_at = std::min(c.started_at, p.started_at);
    if (std::find(hosts.begin(), hosts.end(), p.host) == hosts.end())
      hosts.push_back(p.host);
    c.ranks = std::max(c.ranks, p.ranks);
  }
  c.host = text::join(hosts, ",");
  c.merged_from = merged_from_json(parts);
  c.writer = {};  // written by no process that runs on
  return c;
}

// Notes on stderr for builds that differ between parts: merged anyway (the plan and the plugin
// versions are the same), but a reader of the merged run should know.
void note_build_differences(const std::vector<MergePart>& parts,
                            const std::function<void(const std::string&)>& note) {
  const std::vector<std::pair<std::string, std::function<std::string(const RunContext&)>>> fields =
      {{"git_revision", [](const RunContext& c) { return c.git_revision; }},
       {"compiler", [](const RunContext& c) { return c.compiler; }},
       {"build_type", [](const RunContext& c) { return c.build_type; }}};
  for (const auto& [name, value] : fields) {
    std::vector<std::string> seen;
    for (const MergePart& part : parts) {
      const std::string v = shown(value(part.run.context)) + " in '" + part.path + "'";
      if (value(part.run.context) != value(parts.front().run.context) || seen.empty())
        seen.push_back(v);
    }
    if (seen.size() > 1 && note) {
      note("the parts differ in " + name + " (" + text::join(seen, ", ") +
           "); merged anyway, the merged run records the value of '" + parts.front().path + "'");
    }
  }
}

// The parts, sorted by shard index (stable: else in the order given), their
// runs read; refuses OUT among them, and parts that are not runs of one plan holding disjoint

// cells.
std::vector<MergePart> read_parts(const std::string& out, std::vector<MergePart> parts) {
  refuse_out_among_parts(out, parts);
  for (MergePart& part : parts) {
    ResultStore store = ResultStore::open_immutable(part.path);
    part.run = store.load_run_cells(part.requested);
  }
  refuse_repeated_runs(parts);
  refuse_other_manifests(parts);
  refuse_overlaps(parts);
  std::stable_sort(parts.begin(), parts.end(), [](const MergePart& a, const MergePart& b) {
    return a.run.summary.shard_index < b.run.summary.shard_index;
  });
  return parts;
}

}  // namespace

std::string cells_text(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " cell" : " cells");
}

std::string MergeGaps::text() const {
  std::vector<std::string> items;
  if (!absent_shards.empty()) {
    items.push_back((absent_shards.size() == 1 ? "shard " : "shards ") +
                    text::join(absent_shards, ", ") + (absent_shards.size() == 1 ? " is" : " are") +
                    " absent");
  }
  if (missing > 0) {
    items.push_back(std::to_string(missing) + " of the plan's " + cells_text(plan_cells) +
                    (missing == 1 ? " is" : " are") + " in no part");
  }
  items.insert(items.end(), unfinished.begin(), unfinished.end());
  if (errors > 0)
    items.push_back(cells_text(errors) + (errors == 1 ? " has" : " have") + " an error");
  return text::join(items, "; ");
}

MergeReport merge_parts(MergeRequest request) {
  const std::vector<MergePart> parts = read_parts(request.out, std::move(request.parts));
  // First: no option lets parts of two engine versions through, as --allow-changed-plugins
  // does for builds.
  const int engine_version = check_engine_versions(parts);
  const std::string build_changes = check_builds(parts, request.allow_changed_plugins);
  MergeReport report;
  report.gaps = find_gaps(parts);
  report.context = merged_context(parts);
  report.context.build_changes = build_changes;
  report.context.engine_version = engine_version;
  if (!report.gaps.complete() && !request.partial) {
    throw Error("kcube merge: the parts are not the whole run of '" + report.context.experiment +
                "': " + report.gaps.text() +
                ". Wait for those shards to finish or rerun them (`kcube run MANIFEST --shard I/N "
                "--store part-I.sqlite --resume`), or pass --partial to merge what there is; '" +
                request.out + "' was not written");
  }
  note_build_differences(parts, request.on_note);

  std::vector<MergeSource> sources;
  for (const MergePart& part : parts) {
    sources.push_back({part.path, part.run.summary.id});
    report.cells += part.run.cells.size();
  }
  report.parts = parts.size();
  report.status = report.gaps.complete() ? RunStatus::finished : RunStatus::failed;
  ResultStore store = ResultStore::open(request.out);
  report.run = store.merge_runs(MergeAdmission(), report.context, sources, report.status);
  return report;
}

}  // namespace kcube
