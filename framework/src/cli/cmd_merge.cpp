// kcube merge OUT PART... [--partial]: the runs of shard stores (`kcube run MANIFEST --shard I/N
// --store part-I.sqlite`) merged into one run of OUT, as if one process had run the whole plan.
//
// The parts are checked before OUT is opened, so that a refusal writes nothing and creates no
// file: they must be runs of one manifest (same --set options), of the same builds (kcube
// version, plugin versions and file SHA-256s, unless --allow-changed-plugins: then the merged
// run records every build), hold disjoint cells, and together hold every cell of the plan,
// finished (unless --partial). ResultStore::merge_runs() then copies them in one transaction.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "kcube/error.hpp"
#include "run/builds.hpp"
#include "store/store.hpp"
#include "util/text.hpp"

namespace kcube::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

/// One PART argument and the run read from it.
struct Part {
  /// The store's path, as given (without :ID).
  std::string path;
  /// The run given as PATH:ID; empty for the newest.
  std::optional<std::int64_t> requested;
  /// The run: summary, context and cells (without their candidates and selections).
  StoredRun run;
};

// "PATH:ID" names run ID of PATH, unless a file has that very name.
Part parse_part(const std::string& argument) {
  Part part;
  part.path = argument;
  std::error_code ec;
  const std::size_t colon = argument.rfind(':');
  if (colon == std::string::npos || colon + 1 == argument.size() || fs::exists(argument, ec))
    return part;
  const std::string id = argument.substr(colon + 1);
  if (!std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return part;
  std::int64_t run = 0;
  const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), run);
  if (error != std::errc() || end != id.data() + id.size() || run <= 0 || colon == 0) {
    throw Error("kcube merge: '" + argument + "' is not PART.sqlite or PART.sqlite:ID (ID: a run " +
                "id, as `kcube runs PART.sqlite` lists them)");
  }
  part.path = argument.substr(0, colon);
  part.requested = run;
  return part;
}

// True when `a` and `b` name one file (or, when either does not exist, the same path).
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec))
    return fs::equivalent(a, b, ec);
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// "1 cell", "7 cells".
std::string cells_text(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " cell" : " cells");
}

std::string shard_text(int index, int count) {
  return std::to_string(index) + "/" + std::to_string(count);
}

// "'part-2.sqlite' (run 1, shard 2/4)": a part as the messages name it.
std::string describe(const Part& part) {
  const RunSummary& s = part.run.summary;
  return "'" + part.path + "' (run " + std::to_string(s.id) +
         (s.shard_count > 0 ? ", shard " + shard_text(s.shard_index, s.shard_count) : "") + ")";
}

// ---- refusals (kcube::Error: exit 2, nothing written) ----

void refuse_out_among_parts(const std::string& out, const std::vector<Part>& parts) {
  for (const Part& part : parts) {
    if (same_file(out, part.path)) {
      throw Error("kcube merge: the output '" + out + "' is also the part '" + part.path +
                  "'; merge into a new or another store, e.g. 'kcube merge merged.sqlite " +
                  part.path + " ...'");
    }
  }
}

void refuse_repeated_runs(const std::vector<Part>& parts) {
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
std::vector<std::pair<std::string, std::string>> plan_fields(const Part& part) {
  const RunContext& c = part.run.context;
  return {{"experiment", c.experiment},
          {"manifest_sha256", c.manifest_sha256},
          {"manifest_text", c.manifest_text},
          {"--set overrides", text::join(c.overrides, " ")},
          {"evaluator", c.evaluator},
          {"trials", c.trials ? std::to_string(*c.trials) : ""},
          {"replications", std::to_string(c.replications)},
          {"sampling", c.sampling},
          {"seed", std::to_string(c.seed)},
          {"plan_cells", std::to_string(part.run.summary.plan_cells)}};
}

void refuse_other_manifests(const std::vector<Part>& parts) {
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

void refuse_overlaps(const std::vector<Part>& parts) {
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
std::string check_builds(const std::vector<Part>& parts, bool allow) {
  const Builds first = latest_builds(parts.front().run.context);
  std::vector<std::string> changes;
  for (const Part& part : parts) {
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
  return changes.empty() ? std::string() : "[" + text::join(changes, ",") + "]";
}

// ---- completeness ----

/// What keeps the parts from being the whole run; complete() when nothing.
struct Gaps {
  std::int64_t plan_cells = 0;
  /// Cells of the plan no part holds.
  std::int64_t missing = 0;
  /// Cells stored with status error.
  std::int64_t errors = 0;
  /// Shards I/N absent when every part is a shard of one N.
  std::vector<std::string> absent_shards;
  /// Parts whose run is still running or failed, described.
  std::vector<std::string> unfinished;

  bool complete() const { return missing == 0 && errors == 0 && unfinished.empty(); }

  /// What is missing, "; "-separated.
  std::string text() const {
    std::vector<std::string> items;
    if (!absent_shards.empty()) {
      items.push_back((absent_shards.size() == 1 ? "shard " : "shards ") +
                      text::join(absent_shards, ", ") +
                      (absent_shards.size() == 1 ? " is" : " are") + " absent");
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
};

Gaps find_gaps(const std::vector<Part>& parts) {
  Gaps gaps;
  gaps.plan_cells = parts.front().run.summary.plan_cells;
  std::vector<bool> held(static_cast<std::size_t>(std::max<std::int64_t>(gaps.plan_cells, 0)));
  std::set<int> counts, shards;
  for (const Part& part : parts) {
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

// `kcube run MANIFEST --store OUT --resume` with the parts' --set options.
std::string resume_command(const std::string& out, const RunContext& context) {
  std::string command = "kcube run MANIFEST --store " + out + " --resume";
  for (const std::string& o : context.overrides)
    command += " --set " + o;
  return command;
}

// ---- the merged run ----

std::string merged_from_json(const std::vector<Part>& parts) {
  std::string json = "[";
  for (const Part& part : parts) {
    const RunSummary& s = part.run.summary;
    json += (json.size() == 1 ? "" : ",");
    json +=
        "{\"store\":" + text::json_quote(part.path) + ",\"run\":" + std::to_string(s.id) +
        ",\"shard\":" +
        (s.shard_count > 0 ? text::json_quote(shard_text(s.shard_index, s.shard_count)) : "null") +
        ",\"host\":" + text::json_quote(part.run.context.host) +
        ",\"started_at\":" + text::json_quote(s.started_at) +
        ",\"finished_at\":" + (s.finished_at.empty() ? "null" : text::json_quote(s.finished_at)) +
        ",\"status\":" + text::json_quote(to_string(s.status)) +
        ",\"cells\":" + std::to_string(part.run.cells.size()) + "}";
  }
  return json + "]";
}

// The parts are sorted by shard index: the first one's context is the merged run's, but for a
// whole run (shard 0/0) of the plan's cells, started when the first part started, on the hosts of
// all parts, with as many MPI processes as the widest part.
RunContext merged_context(const std::vector<Part>& parts) {
  RunContext c = parts.front().run.context;
  c.shard_index = 0;
  c.shard_count = 0;
  c.cell_count = parts.front().run.summary.plan_cells;
  c.plan_cells = c.cell_count;
  std::vector<std::string> hosts;
  for (const Part& part : parts) {
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
void note_build_differences(const std::vector<Part>& parts) {
  const std::vector<std::pair<std::string, std::function<std::string(const RunContext&)>>> fields =
      {{"git_revision", [](const RunContext& c) { return c.git_revision; }},
       {"compiler", [](const RunContext& c) { return c.compiler; }},
       {"build_type", [](const RunContext& c) { return c.build_type; }}};
  for (const auto& [name, value] : fields) {
    std::vector<std::string> seen;
    for (const Part& part : parts) {
      const std::string v = shown(value(part.run.context)) + " in '" + part.path + "'";
      if (value(part.run.context) != value(parts.front().run.context) || seen.empty())
        seen.push_back(v);
    }
    if (seen.size() > 1) {
      std::cerr << "kcube merge: note: the parts differ in " << name << " ("
                << text::join(seen, ", ")
                << "); merged anyway, the merged run records the value of '" << parts.front().path
                << "'\n";
    }
  }
}

// The parts named by `arguments`, sorted by shard index (stable: else in the order given), their
// runs read; refuses OUT among them, and parts that are not runs of one plan holding disjoint
// cells.
std::vector<Part> read_parts(const std::string& out, const std::vector<std::string>& arguments) {
  std::vector<Part> parts;
  for (const std::string& argument : arguments)
    parts.push_back(parse_part(argument));
  refuse_out_among_parts(out, parts);
  for (Part& part : parts) {
    ResultStore store = ResultStore::open_immutable(part.path);
    part.run = store.load_run_cells(part.requested);
  }
  refuse_repeated_runs(parts);
  refuse_other_manifests(parts);
  refuse_overlaps(parts);
  std::stable_sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
    return a.run.summary.shard_index < b.run.summary.shard_index;
  });
  return parts;
}

}  // namespace

int cmd_merge(const Args& args, const GlobalOptions&) {
  po::options_description options("Options");
  options.add_options()("partial",
                        "merge even when cells are missing or failed or a part did not finish: "
                        "the merged run is marked failed, and `kcube run MANIFEST --store OUT "
                        "--resume` runs the rest")(
      "allow-changed-plugins",
      "merge parts made with different builds of kcube or a plugin (version or file SHA-256); "
      "the merged run records every build")("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("out", po::value<std::string>())("parts",
                                                        po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("out", 1).add("parts", -1);
  const auto vm = parse(args, all, positional, "merge");
  if (vm.count("help") != 0) {
    std::cout << usage(
        "kcube merge OUT.sqlite PART.sqlite... [--partial] [--allow-changed-plugins]\n"
        "\nMerges the runs of shard stores (kcube run MANIFEST --shard I/N --store\n"
        "part-I.sqlite) into one new run of OUT, created if it does not exist. From each PART\n"
        "it takes the newest run; PART.sqlite:ID takes run ID of PART.sqlite. The parts must be\n"
        "runs of one manifest (same --set options) and, unless --allow-changed-plugins, of the\n"
        "same builds (kcube and plugin versions, plugin file SHA-256s), that hold no cell twice\n"
        "and, unless --partial, every cell of the plan, finished. Parts are read without\n"
        "writing them; on a refusal nothing is written.",
        options);
    return 0;
  }
  if (vm.count("out") == 0 || vm.count("parts") == 0) {
    throw Error(
        "kcube merge: give the output store and at least one part, e.g. 'kcube merge "
        "merged.sqlite part-1.sqlite part-2.sqlite'; see 'kcube merge --help'");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string out = vm["out"].as<std::string>();
  const std::vector<Part> parts = read_parts(out, vm["parts"].as<std::vector<std::string>>());
  const std::string build_changes = check_builds(parts, vm.count("allow-changed-plugins") != 0);
  const Gaps gaps = find_gaps(parts);
  RunContext context = merged_context(parts);
  context.build_changes = build_changes;
  const bool partial = vm.count("partial") != 0;
  if (!gaps.complete() && !partial) {
    throw Error("kcube merge: the parts are not the whole run of '" + context.experiment +
                "': " + gaps.text() +
                ". Wait for those shards to finish or rerun them (`kcube run MANIFEST --shard I/N "
                "--store part-I.sqlite --resume`), or pass --partial to merge what there is; '" +
                out + "' was not written");
  }
  note_build_differences(parts);

  std::vector<MergeSource> sources;
  std::size_t cells = 0;
  for (const Part& part : parts) {
    sources.push_back({part.path, part.run.summary.id});
    cells += part.run.cells.size();
  }
  const RunStatus status = gaps.complete() ? RunStatus::finished : RunStatus::failed;
  ResultStore store = ResultStore::open(out);
  const std::int64_t run = store.merge_runs(context, sources, status);
  if (!gaps.complete()) {
    std::cerr << "kcube merge: warning: the merged run " << run << " is incomplete (" << gaps.text()
              << "): it is stored with status failed, so that `" << resume_command(out, context)
              << "` runs its " << cells_text(gaps.missing) << " missing and retries its "
              << cells_text(gaps.errors) << " with an error\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "merged " << parts.size() << (parts.size() == 1 ? " part" : " parts") << " ("
            << cells << " cells copied) of " << context.experiment << " into run " << run
            << ", status " << to_string(status) << ", in " << text::format_fixed(seconds, 3)
            << " s\nstore: " << out << " (run " << run << ")\n";
  return 0;
}

}  // namespace kcube::cli
